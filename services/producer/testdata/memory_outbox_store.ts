/** The outbox's store in memory, for unit tests: counts commits and fails an append on request. */
import type { NewOutboxOrder, OutboxStore, StoredOutboxOrder } from "../outbox_store.ts";

/** The store in memory, counting commits. */
export class MemoryOutboxStore implements OutboxStore {
  rows: StoredOutboxOrder[] = [];
  commits = 0;
  failNextAppend = false;
  closed = false;
  #seq = 0;
  append(orders: readonly NewOutboxOrder[]): void {
    if (this.failNextAppend) {
      this.failNextAppend = false;
      throw new Error("disk full");
    }
    this.commits++;
    for (const order of orders) this.rows.push({ ...order, seq: ++this.#seq });
  }
  oldest(limit: number, maxBytes: number): StoredOutboxOrder[] {
    const out: StoredOutboxOrder[] = [];
    let bytes = 0;
    for (const row of this.rows.slice(0, limit)) {
      if (out.length > 0 && bytes + row.bytes > maxBytes) break;
      bytes += row.bytes;
      out.push(row);
    }
    return out;
  }
  removeThrough(seq: number): void {
    this.rows = this.rows.filter((row) => row.seq > seq);
  }
  get depth(): number {
    return this.rows.length;
  }
  get bytes(): number {
    return this.rows.reduce((sum, row) => sum + row.bytes, 0);
  }
  get oldestCreatedAt(): number | undefined {
    return this.rows[0]?.createdAt;
  }
  close(): void {
    this.closed = true;
  }
}
