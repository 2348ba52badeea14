/**
 * Coalesces concurrent publishes into few Kafka produce requests.
 *
 * One request is in flight at a time (kafkajs's idempotent producer must not send concurrently);
 * whatever arrives meanwhile goes out together in the next one, up to `maxBatchMessages`. When idle,
 * a publish waits at most `lingerMs` for company. Memory is bounded by `maxPendingMessages`: beyond
 * it, publishes fail at once instead of queueing. While the connection to Kafka is down (at start,
 * or while a new producer session connects after a failure), publishes wait in the queue for it
 * instead of failing at once. Every publish settles by its deadline; one still queued then is
 * dropped unsent, so a timed-out order is never written behind the client's back.
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

/** Why a publish was not acknowledged. */
export type UnavailableReason =
  /** No connection to Kafka until the deadline: nothing was sent. */
  | "not_connected"
  /** Sent, but Kafka did not answer by the deadline (or waited behind a send that did not). */
  | "timed_out"
  /** Kafka answered the produce request with an error. */
  | "send_failed"
  /** Kafka refused the request as larger than its message.max.bytes. */
  | "too_large"
  /** Too many orders already waiting: refused at once, nothing sent. */
  | "overloaded"
  /** The service is stopping: refused at once, nothing sent. */
  | "shutting_down"
  /** The topic is not what this service was configured for: refused until that is fixed. */
  | "misconfigured";

/** Kafka did not acknowledge, or cannot take more now: the client should retry later. */
export class PublishUnavailableError extends Error {
  override name = "PublishUnavailableError";
  constructor(
    message: string,
    readonly reason: UnavailableReason,
    /** True only where a produce request carrying the order was actually sent. */
    readonly mayHaveBeenWritten: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** One publish is larger than any produce request may be: it can never be sent. */
export class PublishTooLargeError extends Error {
  override name = "PublishTooLargeError";
  constructor(readonly bytes: number, readonly limitBytes: number) {
    super(
      `The orders take ${bytes} bytes as Kafka messages; one request may take at most ${limitBytes}`,
    );
  }
}

/**
 * Default bound of one produce request, in bytes of keys and values plus per-record overhead.
 * Kafka refuses a record batch over its `message.max.bytes` (1 MiB by default) with
 * MESSAGE_TOO_LARGE, failing every order in the request; kafkajs writes one batch per partition,
 * so a request under this bound can never be refused for its size, whatever mixes in it.
 */
export const DEFAULT_MAX_BATCH_BYTES = 900_000;
/** A record's framing besides key and value: length, attributes, deltas, lengths (varints). */
const RECORD_OVERHEAD_BYTES = 24;

/** Bytes of `text` in UTF-8, without encoding it. */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && isLowSurrogate(text.charCodeAt(index + 1))) {
      bytes += 4; // a surrogate pair: one character outside the BMP
      index++;
    } else bytes += 3; // the rest of the BMP; a lone surrogate is sent as U+FFFD
  }
  return bytes;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** What one message adds to a produce request. */
export function messageBytes(message: OutgoingMessage): number {
  let bytes = utf8Length(message.key) + utf8Length(message.value) + RECORD_OVERHEAD_BYTES;
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    bytes += utf8Length(name) + utf8Length(value) + 6; // two length varints, long values included
  }
  return bytes;
}

/** The state of the connection to Kafka, as far as the batcher needs it. */
export interface Connection {
  readonly ready: boolean;
  /** Resolves the next time `ready` turns true (at once if it is). */
  whenReady(): Promise<void>;
}

/** Options of {@linkcode ProduceBatcher}. */
export interface BatcherOptions {
  lingerMs: number;
  maxBatchMessages: number;
  /** Most bytes in one produce request (default {@linkcode DEFAULT_MAX_BATCH_BYTES}). */
  maxBatchBytes?: number;
  maxPendingMessages: number;
  timeoutMs: number;
  /** Without it, the connection is taken as always ready and `send` reports its own failures. */
  connection?: Connection;
  /** Called after each produce request with its size, duration and outcome. */
  onBatch?: (size: number, seconds: number, ok: boolean) => void;
}

interface Entry {
  messages: OutgoingMessage[];
  bytes: number;
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
  #waitingForConnection = false;

  constructor(readonly send: SendBatch, readonly options: BatcherOptions) {}

  /** Messages waiting for a produce request (not counting the one in flight). */
  get pendingMessages(): number {
    return this.#queuedMessages;
  }

  /**
   * Publishes `messages` together; resolves with their offsets, in order, once Kafka acked them.
   * Rejects at once with {@linkcode PublishTooLargeError} if they could never fit one request.
   */
  publish(messages: OutgoingMessage[]): Promise<Ack[]> {
    const bytes = messages.reduce((sum, message) => sum + messageBytes(message), 0);
    const limitBytes = this.options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
    if (bytes > limitBytes) return Promise.reject(new PublishTooLargeError(bytes, limitBytes));
    if (this.#closed) {
      return Promise.reject(
        new PublishUnavailableError("The order service is shutting down", "shutting_down", false),
      );
    }
    if (this.#queuedMessages + messages.length > this.options.maxPendingMessages) {
      return Promise.reject(
        new PublishUnavailableError(
          `Too many orders waiting for Kafka (${this.#queuedMessages})`,
          "overloaded",
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
        bytes,
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

  /**
   * Stops taking publishes and waits until everything queued was sent or failed. Orders waiting
   * for a connection fail at once, unsent.
   */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#lingerTimer);
    this.#lingerTimer = undefined;
    while (this.#queue.length > 0 || this.#sending) {
      if (!this.#sending && !this.#connected()) {
        this.#failQueued("The order service is shutting down and is not connected to Kafka");
        break;
      }
      if (!this.#sending) void this.#flush();
      await this.#idle;
    }
  }

  /** Fails every queued (unsent) publish at once. */
  #failQueued(message: string): void {
    for (const entry of this.#queue.splice(0)) {
      this.#queuedMessages -= entry.messages.length;
      entry.reject(new PublishUnavailableError(message, "shutting_down", false));
    }
  }

  #connected(): boolean {
    return this.options.connection?.ready ?? true;
  }

  #expire(entry: Entry): void {
    const within = `within ${this.options.timeoutMs} ms`;
    if (entry.state === "queued") {
      this.#queue.splice(this.#queue.indexOf(entry), 1);
      this.#queuedMessages -= entry.messages.length;
      entry.reject(
        this.#connected()
          ? new PublishUnavailableError(
            `Kafka did not take the order ${within}: it waited behind earlier orders`,
            "timed_out",
            false,
          )
          : new PublishUnavailableError(
            `Not connected to Kafka ${within}; the order was not sent`,
            "not_connected",
            false,
          ),
      );
    } else if (entry.state === "sending") {
      entry.reject(
        new PublishUnavailableError(`Kafka did not acknowledge ${within}`, "timed_out", true),
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

  /** Takes whole entries up to the batch limits of messages and bytes (always at least one). */
  #take(): Entry[] {
    const taken: Entry[] = [];
    const maxBytes = this.options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
    let size = 0;
    let bytes = 0;
    while (this.#queue.length > 0) {
      const next = this.#queue[0]!;
      if (
        taken.length > 0 &&
        (size + next.messages.length > this.options.maxBatchMessages ||
          bytes + next.bytes > maxBytes)
      ) break;
      this.#queue.shift();
      this.#queuedMessages -= next.messages.length;
      size += next.messages.length;
      bytes += next.bytes;
      next.state = "sending";
      taken.push(next);
    }
    return taken;
  }

  /** Flushes once the connection is back; queued orders wait for it until their deadlines. */
  #flushWhenConnected(): void {
    if (this.#waitingForConnection || !this.options.connection) return;
    this.#waitingForConnection = true;
    this.options.connection.whenReady().then(() => {
      this.#waitingForConnection = false;
      void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    clearTimeout(this.#lingerTimer);
    this.#lingerTimer = undefined;
    if (this.#sending || this.#queue.length === 0) return;
    if (!this.#connected()) return this.#flushWhenConnected();
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
      const failure = sendFailure(error);
      for (const entry of entries) if (entry.state === "sending") entry.reject(failure);
    } finally {
      this.#sending = false;
      done();
      // What queued during this request has already waited: send it at once.
      if (this.#queue.length > 0) queueMicrotask(() => void this.#flush());
    }
  }
}

/** What a failed produce request means for the orders in it. */
function sendFailure(error: unknown): PublishUnavailableError {
  const text = error instanceof Error ? error.message : String(error);
  // kafkajs reports a broker's error code as `type` on its protocol errors.
  const type = (error as { type?: unknown } | null)?.type;
  if (error instanceof Error && error.name === "SendTimeoutError") {
    return new PublishUnavailableError(text, "timed_out", true, { cause: error });
  }
  if (type === "MESSAGE_TOO_LARGE") {
    return new PublishUnavailableError(
      `Kafka refused the request as too large: ${text}`,
      "too_large",
      true,
      { cause: error },
    );
  }
  return new PublishUnavailableError(`Kafka did not acknowledge: ${text}`, "send_failed", true, {
    cause: error,
  });
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
