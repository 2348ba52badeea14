/**
 * Coalesces concurrent publishes into few Kafka produce requests.
 *
 * One request is in flight at a time (kafkajs's idempotent producer must not send concurrently);
 * whatever arrives meanwhile goes out together in the next one, up to `maxBatchMessages`. When idle,
 * a publish waits at most `lingerMs` for company. Memory is bounded by `maxPendingMessages`: beyond
 * it, publishes fail at once instead of queueing. Every publish settles by its deadline; one still
 * queued then is dropped unsent, so a timed-out order is never written behind the client's back.
 * @module
 */

/** A message bound for one partition of the topic. */
export interface OutgoingMessage {
  key: string;
  value: string;
  partition: number;
  headers?: Record<string, string>;
}

/** Where a published message landed. */
export interface Ack {
  partition: number;
  offset: string;
}

/** Kafka's answer to a produce request: the first offset written in each partition. */
export interface PartitionAck {
  partition: number;
  baseOffset: string;
}

/** Sends one produce request and resolves once Kafka acknowledged all of it. */
export type SendBatch = (messages: OutgoingMessage[]) => Promise<PartitionAck[]>;

/** Kafka did not acknowledge in time, or cannot take more now: the client should retry later. */
export class PublishUnavailableError extends Error {
  override name = "PublishUnavailableError";
  constructor(message: string, readonly mayHaveBeenWritten: boolean, options?: ErrorOptions) {
    super(message, options);
  }
}

/** Options of {@linkcode ProduceBatcher}. */
export interface BatcherOptions {
  lingerMs: number;
  maxBatchMessages: number;
  maxPendingMessages: number;
  timeoutMs: number;
  /** Called after each produce request with its size, duration and outcome. */
  onBatch?: (size: number, seconds: number, ok: boolean) => void;
}

interface Entry {
  messages: OutgoingMessage[];
  state: "queued" | "sending" | "settled";
  resolve(acks: Ack[]): void;
  reject(error: Error): void;
}

/** Turns many small publishes into few produce requests. */
export class ProduceBatcher {
  #queue: Entry[] = [];
  #queuedMessages = 0;
  #sending = false;
  #lingerTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  #idle: Promise<void> = Promise.resolve();

  constructor(readonly send: SendBatch, readonly options: BatcherOptions) {}

  /** Messages waiting for a produce request (not counting the one in flight). */
  get pendingMessages(): number {
    return this.#queuedMessages;
  }

  /** Publishes `messages` together; resolves with their offsets, in order, once Kafka acked them. */
  publish(messages: OutgoingMessage[]): Promise<Ack[]> {
    if (this.#closed) {
      return Promise.reject(new PublishUnavailableError("Producer is shutting down", false));
    }
    if (this.#queuedMessages + messages.length > this.options.maxPendingMessages) {
      return Promise.reject(
        new PublishUnavailableError(
          `Too many orders waiting for Kafka (${this.#queuedMessages})`,
          false,
        ),
      );
    }
    return new Promise<Ack[]>((resolve, reject) => {
      const timer = setTimeout(() => this.#expire(entry), this.options.timeoutMs);
      const settle = () => {
        clearTimeout(timer);
        entry.state = "settled";
      };
      const entry: Entry = {
        messages,
        state: "queued",
        resolve: (acks) => {
          settle();
          resolve(acks);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      };
      this.#queue.push(entry);
      this.#queuedMessages += messages.length;
      this.#schedule();
    });
  }

  /** Stops taking publishes and waits until everything queued was sent or failed. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#lingerTimer);
    this.#lingerTimer = undefined;
    while (this.#queue.length > 0 || this.#sending) {
      if (!this.#sending) void this.#flush();
      await this.#idle;
    }
  }

  #expire(entry: Entry): void {
    if (entry.state === "queued") {
      this.#queue.splice(this.#queue.indexOf(entry), 1);
      this.#queuedMessages -= entry.messages.length;
      entry.reject(
        new PublishUnavailableError(
          `Kafka did not acknowledge within ${this.options.timeoutMs} ms`,
          false,
        ),
      );
    } else if (entry.state === "sending") {
      entry.reject(
        new PublishUnavailableError(
          `Kafka did not acknowledge within ${this.options.timeoutMs} ms`,
          true,
        ),
      );
    }
  }

  #schedule(): void {
    if (this.#sending) return; // the in-flight request's completion sends what queued meanwhile
    if (this.#queuedMessages >= this.options.maxBatchMessages || this.options.lingerMs <= 0) {
      clearTimeout(this.#lingerTimer);
      this.#lingerTimer = undefined;
      // A microtask, not a direct call: publishes made in the same tick still join this request.
      queueMicrotask(() => void this.#flush());
    } else if (this.#lingerTimer === undefined) {
      this.#lingerTimer = setTimeout(() => void this.#flush(), this.options.lingerMs);
    }
  }

  /** Takes whole entries up to the batch limit (always at least one). */
  #take(): Entry[] {
    const taken: Entry[] = [];
    let size = 0;
    while (this.#queue.length > 0) {
      const next = this.#queue[0]!;
      if (taken.length > 0 && size + next.messages.length > this.options.maxBatchMessages) break;
      this.#queue.shift();
      this.#queuedMessages -= next.messages.length;
      size += next.messages.length;
      next.state = "sending";
      taken.push(next);
    }
    return taken;
  }

  async #flush(): Promise<void> {
    clearTimeout(this.#lingerTimer);
    this.#lingerTimer = undefined;
    if (this.#sending || this.#queue.length === 0) return;
    this.#sending = true;
    let done!: () => void;
    this.#idle = new Promise((resolve) => done = resolve);
    const entries = this.#take();
    const messages = entries.flatMap((entry) => entry.messages);
    const started = performance.now();
    try {
      const acks = assignOffsets(messages, await this.send(messages));
      this.options.onBatch?.(messages.length, (performance.now() - started) / 1000, true);
      let at = 0;
      for (const entry of entries) {
        const mine = acks.slice(at, at + entry.messages.length);
        at += entry.messages.length;
        if (entry.state === "sending") entry.resolve(mine);
      }
    } catch (error) {
      this.options.onBatch?.(messages.length, (performance.now() - started) / 1000, false);
      const failure = new PublishUnavailableError(
        `Kafka did not acknowledge: ${error instanceof Error ? error.message : error}`,
        true,
        { cause: error },
      );
      for (const entry of entries) if (entry.state === "sending") entry.reject(failure);
    } finally {
      this.#sending = false;
      done();
      // What queued during this request has already waited: send it at once.
      if (this.#queue.length > 0) queueMicrotask(() => void this.#flush());
    }
  }
}

/**
 * Each message's offset: Kafka reports one base offset per partition, and writes a partition's
 * messages in the order they were given.
 */
export function assignOffsets(
  messages: readonly OutgoingMessage[],
  acks: readonly PartitionAck[],
): Ack[] {
  const next = new Map<number, bigint>();
  for (const ack of acks) next.set(ack.partition, BigInt(ack.baseOffset));
  return messages.map((message) => {
    const offset = next.get(message.partition);
    if (offset === undefined) {
      throw new Error(`Kafka acknowledged no write to partition ${message.partition}`);
    }
    next.set(message.partition, offset + 1n);
    return { partition: message.partition, offset: offset.toString() };
  });
}
