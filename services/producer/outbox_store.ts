/**
 * The outbox's durable half: orders on local disk in SQLite (Deno's built-in `node:sqlite`), in
 * arrival order. Every append is one transaction that is on disk when it returns (WAL with
 * synchronous=FULL: the commit is fsync'd). One process at a time: the file is locked exclusively,
 * so two producers can never relay the same orders.
 * @module
 */
import { dirname } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";

/** An order to store: its Kafka key and value, when it was accepted, and its size. */
export interface NewOutboxOrder {
  key: string;
  value: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** Bytes it counts against the outbox's bound (key and value, UTF-8). */
  bytes: number;
}

/** A stored order, with its place in the outbox. */
export interface StoredOutboxOrder extends NewOutboxOrder {
  seq: number;
}

/** Where the outbox keeps orders; {@linkcode SqliteOutboxStore} on disk, a fake in tests. */
export interface OutboxStore {
  /** Stores `orders` in one transaction, in order; durable when it returns; throws if not. */
  append(orders: readonly NewOutboxOrder[]): void;
  /** The oldest orders: at most `limit`, and at most `maxBytes` (but always one if any). */
  oldest(limit: number, maxBytes: number): StoredOutboxOrder[];
  /** Deletes every order up to and including `seq`. */
  removeThrough(seq: number): void;
  /** Orders held. */
  readonly depth: number;
  /** Bytes held, as counted by `NewOutboxOrder.bytes`. */
  readonly bytes: number;
  /** When the oldest order held was accepted (ms since the epoch), or undefined when empty. */
  readonly oldestCreatedAt: number | undefined;
  close(): void;
}

/** The outbox file is held by another process. */
export class OutboxLockedError extends Error {
  override name = "OutboxLockedError";
}

/** The outbox in a SQLite file. */
export class SqliteOutboxStore implements OutboxStore {
  #db: DatabaseSync;
  #insert: StatementSync;
  #oldest: StatementSync;
  #countThrough: StatementSync;
  #delete: StatementSync;
  #first: StatementSync;
  #depth = 0;
  #bytes = 0;
  #oldestCreatedAt: number | undefined;

  private constructor(db: DatabaseSync) {
    this.#db = db;
    db.exec(`CREATE TABLE IF NOT EXISTS outbox (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      created_at INTEGER NOT NULL,
      key TEXT NOT NULL,
      value TEXT NOT NULL,
      bytes INTEGER NOT NULL
    )`);
    this.#insert = db.prepare(
      "INSERT INTO outbox (created_at, key, value, bytes) VALUES (?, ?, ?, ?)",
    );
    this.#oldest = db.prepare(
      "SELECT seq, created_at, key, value, bytes FROM outbox ORDER BY seq LIMIT ?",
    );
    this.#countThrough = db.prepare(
      "SELECT count(*) AS n, coalesce(sum(bytes), 0) AS b FROM outbox WHERE seq <= ?",
    );
    this.#delete = db.prepare("DELETE FROM outbox WHERE seq <= ?");
    this.#first = db.prepare("SELECT created_at FROM outbox ORDER BY seq LIMIT 1");
    const totals = db.prepare("SELECT count(*) AS n, coalesce(sum(bytes), 0) AS b FROM outbox")
      .get() as { n: number; b: number };
    this.#depth = totals.n;
    this.#bytes = totals.b;
    this.#readOldestCreatedAt();
  }

  /** Opens (or creates) the outbox at `path`, creating its folder; throws if another holds it. */
  static open(path: string): SqliteOutboxStore {
    Deno.mkdirSync(dirname(path), { recursive: true });
    const db = new DatabaseSync(path);
    try {
      // Exclusive locking: taken by the first write below and kept until close.
      db.exec("PRAGMA locking_mode = EXCLUSIVE");
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = FULL");
      db.exec("BEGIN EXCLUSIVE; COMMIT");
    } catch (error) {
      db.close();
      if (String(error).includes("locked")) {
        throw new OutboxLockedError(
          `The outbox ${path} is in use by another process (another producer on the same ORDER_OUTBOX_DIR and port?)`,
        );
      }
      throw error;
    }
    return new SqliteOutboxStore(db);
  }

  get depth(): number {
    return this.#depth;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get oldestCreatedAt(): number | undefined {
    return this.#oldestCreatedAt;
  }

  append(orders: readonly NewOutboxOrder[]): void {
    if (orders.length === 0) return;
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      for (const order of orders) {
        this.#insert.run(order.createdAt, order.key, order.value, order.bytes);
      }
      this.#db.exec("COMMIT");
    } catch (error) {
      try {
        this.#db.exec("ROLLBACK");
      } catch {
        // The failed COMMIT may have rolled back already.
      }
      throw error;
    }
    if (this.#depth === 0) this.#oldestCreatedAt = orders[0]!.createdAt;
    this.#depth += orders.length;
    this.#bytes += orders.reduce((sum, order) => sum + order.bytes, 0);
  }

  oldest(limit: number, maxBytes: number): StoredOutboxOrder[] {
    const rows = this.#oldest.all(limit) as {
      seq: number;
      created_at: number;
      key: string;
      value: string;
      bytes: number;
    }[];
    const orders: StoredOutboxOrder[] = [];
    let bytes = 0;
    for (const row of rows) {
      if (orders.length > 0 && bytes + row.bytes > maxBytes) break;
      bytes += row.bytes;
      orders.push({
        seq: row.seq,
        createdAt: row.created_at,
        key: row.key,
        value: row.value,
        bytes: row.bytes,
      });
    }
    return orders;
  }

  removeThrough(seq: number): void {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const removed = this.#countThrough.get(seq) as { n: number; b: number };
      this.#delete.run(seq);
      this.#db.exec("COMMIT");
      this.#depth -= removed.n;
      this.#bytes -= removed.b;
    } catch (error) {
      try {
        this.#db.exec("ROLLBACK");
      } catch {
        // Already rolled back.
      }
      throw error;
    }
    this.#readOldestCreatedAt();
  }

  #readOldestCreatedAt(): void {
    const row = this.#first.get() as { created_at: number } | undefined;
    this.#oldestCreatedAt = row?.created_at;
  }

  close(): void {
    this.#db.close();
  }
}

/**
 * Other producers' outbox files in `dir` that hold orders and that no running producer holds:
 * orders a producer on another port (or one that is gone, after `up --scale producer=N`) took and
 * never relayed. Only the producer on that port relays them.
 */
export function strayOutboxes(
  dir: string,
  ownPath: string,
): { path: string; depth: number }[] {
  const stray: { path: string; depth: number }[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch {
    return stray;
  }
  for (const entry of entries) {
    const path = `${dir.replace(/\/+$/, "")}/${entry.name}`;
    if (!/^producer-\d+\.sqlite$/.test(entry.name) || path === ownPath) continue;
    try {
      const db = new DatabaseSync(path);
      try {
        const row = db.prepare("SELECT count(*) AS n FROM outbox").get() as { n: number };
        if (row.n > 0) stray.push({ path, depth: row.n });
      } finally {
        db.close();
      }
    } catch {
      // Held by a running producer (which relays it), or not an outbox: not stray.
    }
  }
  return stray;
}
