/**
 * The transactional outbox: orders Kafka cannot acknowledge in time are written to local disk,
 * answered 202 "queued", and relayed to Kafka in order once it is back.
 *
 * - `enqueue` stores orders durably before it resolves. Orders enqueued in the same turn of the
 *   event loop (concurrent requests) share one commit.
 * - While the outbox holds anything (`active`), the caller sends new orders here too, so an order
 *   answered before another was sent is also relayed before it (per-item order).
 * - The relay sends the oldest orders, one request at a time, and deletes them once Kafka
 *   acknowledged them; a failed send is retried with the same orders after a pause.
 * - Bounded in bytes: past `maxBytes` an enqueue fails with {@linkcode OutboxFullError}.
 * @module
 */
import type { Logger } from "@campus/shared/log";
import { sleep } from "@campus/shared/timing";
import type { Connection, OutgoingMessage } from "./batcher.ts";
import { messageBytes } from "./batcher.ts";
import type { NewOutboxOrder, OutboxStore } from "./outbox_store.ts";

/** The outbox holds its maximum: the order was not stored. */
export class OutboxFullError extends Error {
  override name = "OutboxFullError";
  constructor(readonly heldBytes: number, readonly maxBytes: number) {
    super(`The outbox is full (${heldBytes} of ${maxBytes} bytes held while Kafka is away)`);
  }
}

/** The outbox could not store the order (disk full, I/O error) or is closing. */
export class OutboxUnavailableError extends Error {
  override name = "OutboxUnavailableError";
}

/** A message for the outbox: its partition is chosen when it is relayed. */
export interface OutboxMessage {
  key: string;
  value: string;
}

/** Options of {@linkcode OrderOutbox}. */
export interface OutboxOptions {
  store: OutboxStore;
  maxBytes: number;
  /** Sends one batch to Kafka; resolves once acknowledged (the producer's batcher). */
  send: (messages: OutgoingMessage[]) => Promise<unknown>;
  connection: Connection;
  partitionFor: (key: string) => number;
  /** Orders and bytes per relayed request. */
  relayBatchMessages: number;
  relayBatchBytes: number;
  /** Pause after a failed relay send (doubled per failure in a row, up to 8 times). */
  retryDelayMs: number;
  logger: Logger;
  now?: () => number;
  /** Waits `ms`, or less if `signal` aborts; a fake clock in tests. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Called with the number of orders each relayed request delivered. */
  onRelayed?: (count: number) => void;
}

/** What the outbox holds, for /ready, /metrics and the dashboard. */
export interface OutboxStats {
  depth: number;
  bytes: number;
  max_bytes: number;
  /** Age of the oldest order held, in seconds (0 when empty). */
  oldest_age_seconds: number;
}

interface PendingAppend {
  orders: NewOutboxOrder[];
  bytes: number;
  resolve(): void;
  reject(error: Error): void;
}

/** Resolves when `promise` settles or `signal` aborts, leaving no listener behind. */
function untilAborted(promise: Promise<unknown>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      signal.removeEventListener("abort", done);
      resolve();
    };
    if (signal.aborted) return done();
    signal.addEventListener("abort", done, { once: true });
    promise.then(done, done);
  });
}

/** Orders on disk until Kafka takes them. */
export class OrderOutbox {
  readonly #options: OutboxOptions;
  readonly #store: OutboxStore;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  #pending: PendingAppend[] = [];
  #pendingBytes = 0;
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  #stopping = new AbortController();
  #wake: (() => void) | undefined;
  #relay: Promise<void> | undefined;

  constructor(options: OutboxOptions) {
    this.#options = options;
    this.#store = options.store;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? sleep;
  }

  /** True while the outbox holds orders (stored or being stored): new orders must go here too. */
  get active(): boolean {
    return this.#store.depth > 0 || this.#pending.length > 0;
  }

  stats(): OutboxStats {
    const oldest = this.#store.oldestCreatedAt ??
      this.#pending[0]?.orders[0]?.createdAt;
    return {
      depth: this.#store.depth + this.#pending.reduce((n, p) => n + p.orders.length, 0),
      bytes: this.#store.bytes + this.#pendingBytes,
      max_bytes: this.#options.maxBytes,
      oldest_age_seconds: oldest === undefined ? 0 : Math.max(0, (this.#now() - oldest) / 1000),
    };
  }

  /** Stores `messages` durably, together; rejects with OutboxFullError past the bound. */
  enqueue(messages: readonly OutboxMessage[]): Promise<void> {
    if (this.#stopping.signal.aborted) {
      return Promise.reject(new OutboxUnavailableError("The order service is shutting down"));
    }
    const createdAt = this.#now();
    const orders = messages.map((message) => ({
      key: message.key,
      value: message.value,
      createdAt,
      bytes: messageBytes({ ...message, partition: 0 }),
    }));
    const bytes = orders.reduce((sum, order) => sum + order.bytes, 0);
    const held = this.#store.bytes + this.#pendingBytes;
    if (held + bytes > this.#options.maxBytes) {
      return Promise.reject(new OutboxFullError(held, this.#options.maxBytes));
    }
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ orders, bytes, resolve, reject });
      this.#pendingBytes += bytes;
      // Requests that arrive while this turn runs join the same commit.
      this.#flushTimer ??= setTimeout(() => this.#flush(), 0);
    });
  }

  /** Commits every pending append in one transaction, then answers them. */
  #flush(): void {
    this.#flushTimer = undefined;
    const batch = this.#pending.splice(0);
    this.#pendingBytes = 0;
    if (batch.length === 0) return;
    try {
      this.#store.append(batch.flatMap((append) => append.orders));
    } catch (error) {
      this.#options.logger.error("cannot write to the outbox", { error });
      const failure = new OutboxUnavailableError(
        `The outbox cannot store orders: ${error instanceof Error ? error.message : error}`,
        { cause: error },
      );
      for (const append of batch) append.reject(failure);
      return;
    }
    for (const append of batch) append.resolve();
    this.#wake?.();
  }

  /** Starts relaying what the outbox holds (including what a previous run left). */
  start(): void {
    this.#relay ??= this.#run().catch((error) => {
      // Never expected (each step handles its errors); said loudly rather than crashing.
      this.#options.logger.error("the outbox relay stopped", { error });
    });
  }

  async #run(): Promise<void> {
    const { logger } = this.#options;
    const signal = this.#stopping.signal;
    let failures = 0;
    if (this.#store.depth > 0) {
      logger.info("outbox holds orders from before: relaying them once Kafka takes them", {
        depth: this.#store.depth,
      });
    }
    while (!signal.aborted) {
      if (this.#store.depth === 0) {
        await untilAborted(new Promise<void>((resolve) => this.#wake = resolve), signal);
        this.#wake = undefined;
        continue;
      }
      if (!this.#options.connection.ready) {
        await untilAborted(this.#options.connection.whenReady(), signal);
        continue;
      }
      try {
        const orders = this.#store.oldest(
          this.#options.relayBatchMessages,
          this.#options.relayBatchBytes,
        );
        const last = orders.at(-1);
        if (last === undefined) throw new Error("the outbox counted orders but read none");
        await this.#options.send(orders.map((order) => ({
          key: order.key,
          value: order.value,
          partition: this.#options.partitionFor(order.key),
        })));
        // Acknowledged: deleted now. Should the delete fail (disk full), they are sent again
        // with the same ids, and consumers drop the repeats.
        this.#store.removeThrough(last.seq);
        if (failures > 0) logger.info("relaying the outbox again", { depth: this.#store.depth });
        failures = 0;
        this.#options.onRelayed?.(orders.length);
      } catch (error) {
        failures++;
        if (failures === 1) {
          logger.warn("relaying the outbox to Kafka failed; retrying", {
            error,
            depth: this.#store.depth,
          });
        }
        await this.#sleep(this.#options.retryDelayMs * 2 ** Math.min(failures - 1, 3), signal);
        continue;
      }
      if (this.#store.depth === 0 && this.#pending.length === 0) {
        logger.info("outbox drained: orders go straight to Kafka again");
      }
    }
  }

  /**
   * Stops the relay (after its request in flight), stores what is pending, and closes the store.
   * What it still holds is relayed by the next run.
   */
  async close(): Promise<void> {
    if (this.#stopping.signal.aborted) return;
    clearTimeout(this.#flushTimer);
    this.#flush();
    this.#stopping.abort();
    try {
      await this.#relay;
    } finally {
      this.#store.close();
    }
  }
}
