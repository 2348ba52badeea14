/**
 * The Kafka side of the producer: an idempotent kafkajs producer with acks=all, replaced by a new
 * one (a new producer id) after any failed send.
 *
 * Why replace it: a send that timed out may still have been written. kafkajs keeps the producer
 * id and sequence numbers across disconnect/connect, so the next batch could reuse those sequence
 * numbers and be dropped by the broker as a "duplicate" while we report it acknowledged.
 * A new producer session makes that impossible.
 * @module
 */
import { type Kafka, type Message, Partitioners, type Producer } from "kafkajs";
import { connectWithRetry, keyPartitioner } from "@campus/shared/kafka";
import { deadline, sleep } from "@campus/shared/timing";
import type { Logger } from "@campus/shared/log";
import type { Connection, OutgoingMessage, PartitionAck } from "./batcher.ts";

/** Options of {@linkcode KafkaSender}. */
export interface KafkaSenderOptions {
  kafka: Kafka;
  topic: string;
  partitions: number;
  logger: Logger;
  /**
   * A send not acknowledged by then is abandoned and the session replaced, as after a failure.
   * A hung broker (stopped, not gone) keeps connections open and answers nothing; kafkajs would
   * wait out its request timeout and retries, minutes, with every later order queued behind.
   */
  sendTimeoutMs: number;
}

/** Kafka did not answer a produce request in time; it may still write it. */
export class SendTimeoutError extends Error {
  override name = "SendTimeoutError";
}

/** Sends batches to one topic and knows whether Kafka is taking them. */
export class KafkaSender implements Connection {
  #producer: Producer;
  #ready = false;
  #readyWaiters: Array<() => void> = [];
  #replacing: Promise<void> | undefined;
  #stopping = new AbortController();
  #partitionFor: (key: string) => number;

  constructor(readonly options: KafkaSenderOptions) {
    this.#producer = this.#newProducer();
    this.#partitionFor = keyPartitioner(options.partitions);
  }

  /** True while connected and the last send did not fail. */
  get ready(): boolean {
    return this.#ready;
  }

  /** Resolves the next time the sender is ready (at once if it is). */
  whenReady(): Promise<void> {
    if (this.#ready) return Promise.resolve();
    return new Promise((resolve) => this.#readyWaiters.push(resolve));
  }

  #setReady(ready: boolean): void {
    this.#ready = ready;
    if (!ready) return;
    for (const resolve of this.#readyWaiters.splice(0)) resolve();
  }

  /**
   * The partition Kafka's default partitioner picks for `key` (murmur2, as the Java client).
   * Chosen here rather than inside kafkajs, so each message's offset can be told from the
   * per-partition base offsets Kafka returns.
   */
  partitionFor(key: string): number {
    return this.#partitionFor(key);
  }

  /** Connects the current producer (first start; the caller retries). */
  async connect(): Promise<void> {
    await this.#producer.connect();
    this.#setReady(true);
  }

  /** One produce request with acks=all; resolves once Kafka acknowledged every message. */
  send = async (messages: OutgoingMessage[]): Promise<PartitionAck[]> => {
    if (!this.#ready) throw new Error("Not connected to Kafka");
    const producer = this.#producer;
    const sending = producer.send({
      topic: this.options.topic,
      acks: -1,
      messages: messages.map((message): Message => ({
        key: message.key,
        value: message.value,
        partition: message.partition,
        headers: message.headers,
      })),
    });
    try {
      const metadata = await deadline(
        sending,
        this.options.sendTimeoutMs,
        () =>
          new SendTimeoutError(
            `Kafka did not answer the produce request within ${this.options.sendTimeoutMs} ms`,
          ),
      );
      return metadata.map((entry) => ({
        partition: entry.partition,
        baseOffset: entry.baseOffset ?? "-1",
      }));
    } catch (error) {
      sending.catch(() => {}); // abandoned after a timeout: it settles later, nobody waits
      if (producer === this.#producer) this.#replaceProducer(error);
      throw error;
    }
  };

  /** Disconnects; sends after this fail. */
  async close(): Promise<void> {
    this.#stopping.abort();
    this.#setReady(false);
    // Bounded: a connect to a hung broker may not return for a long time.
    await Promise.race([this.#replacing, sleep(2_000)]);
    await this.#producer.disconnect();
  }

  #newProducer(): Producer {
    return this.options.kafka.producer({
      idempotent: true,
      // The batcher sends one request at a time; kafkajs's idempotent producer requires it.
      maxInFlightRequests: 1,
      // Fail a send in seconds so the service answers 503 and starts a new session, instead of
      // kafkajs retrying for as long as the broker is away.
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 },
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  #replaceProducer(cause: unknown): void {
    if (this.#replacing || this.#stopping.signal.aborted) return;
    this.#setReady(false);
    const { logger } = this.options;
    logger.warn("produce failed; starting a new producer session", { error: cause });
    this.#replacing = (async () => {
      const old = this.#producer;
      this.#producer = this.#newProducer();
      // Not awaited: against a hung broker even closing may take until its timeouts.
      old.disconnect().catch(() => {});
      const connected = await connectWithRetry(() => this.#producer.connect(), {
        logger,
        signal: this.#stopping.signal,
      });
      // A connect already under way when close() came may still succeed: not ready after close.
      if (connected && !this.#stopping.signal.aborted) this.#setReady(true);
    })().finally(() => this.#replacing = undefined);
  }
}
