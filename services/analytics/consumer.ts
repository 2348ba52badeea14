/**
 * The analytics consumer: reads inventory-events (committed data only) into the metrics.
 *
 * Metrics live in memory, so every start is a replay: the group's offsets go back to the earliest
 * (its committed offsets are deleted) and the log is read again, which is also what `POST /replay`
 * does on demand. The group's committed offsets are what lag and progress are measured from.
 * @module
 */
import {
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type Kafka,
  Partitioners,
  type Producer,
} from "kafkajs";
import { deadLetterHeaders } from "@campus/shared/dead_letter";
import { Restarter } from "@campus/shared/restarter";
import { decodeEvent } from "@campus/shared/events/codec";
import { SCHEMA_BY_TOPIC } from "@campus/shared/events/by_topic";
import type { Logger } from "@campus/shared/log";
import { ANALYTICS_GROUP, INVENTORY_EVENTS, INVENTORY_EVENTS_DLQ } from "@campus/shared/topics";
import { type Metrics, MetricsAccumulator } from "./metrics.ts";

/** A replay: reading inventory-events again from the start, up to where it ended when asked. */
export interface Replay {
  id: string;
  state: "running" | "done";
  started_at: string;
  finished_at: string | null;
  /** Events to read: the end offsets snapshotted when the replay started, summed. */
  target_events: number;
  events_read: number;
  progress_percent: number;
}

/** Figures about the consumer itself, reported apart from the metrics. */
export interface ConsumerFigures {
  events_consumed: number;
  duplicates_ignored: number;
  invalid_events: number;
}

/** Options of {@linkcode AnalyticsConsumer}. */
export interface AnalyticsConsumerOptions {
  kafka: Kafka;
  admin: Admin;
  logger: Logger;
}

/** Reads inventory-events into metrics, and replays them on demand. */
export class AnalyticsConsumer {
  #consumer: Consumer | undefined;
  #dlq: Producer;
  #accumulator = new MetricsAccumulator();
  #figures: ConsumerFigures = { events_consumed: 0, duplicates_ignored: 0, invalid_events: 0 };
  #targets = new Map<number, bigint>();
  #read = new Map<number, bigint>();
  #replay: Replay | undefined;
  #caughtUp: (() => void) | undefined;
  #done: Promise<void> = Promise.resolve();
  #switching: Promise<Replay> | undefined;
  #joined = false;

  #stopSignal = new AbortController();
  #restarter: Restarter;

  constructor(readonly options: AnalyticsConsumerOptions) {
    // Dead letters are written at least once (acks=all); no idempotence needed, so no producer id.
    this.#dlq = options.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    this.#restarter = new Restarter({
      what: "analytics consumer",
      logger: options.logger,
      signal: this.#stopSignal.signal,
      restart: async () => {
        const crashed = this.#consumer;
        await crashed?.disconnect().catch(() => {});
        // A replay replaces the consumer itself; restarting the crashed one then would add a
        // second member that the replay neither waits for nor stops.
        if (this.#stopSignal.signal.aborted || this.#switching || this.#consumer !== crashed) {
          return;
        }
        await this.#runConsumer();
      },
    });
  }

  /** In the group and consuming. */
  get ready(): boolean {
    return this.#joined;
  }

  /** The current metrics block. */
  metrics(): Metrics {
    return this.#accumulator.snapshot();
  }

  /** Operational figures. */
  figures(): ConsumerFigures {
    return { ...this.#figures };
  }

  /** The latest replay, with its progress. */
  replay(): Replay | undefined {
    if (!this.#replay) return undefined;
    const read = [...this.#targets].reduce((sum, [partition, target]) => {
      const done = this.#read.get(partition) ?? 0n;
      return sum + Number(done < target ? done : target);
    }, 0);
    const target = this.#replay.target_events;
    return {
      ...this.#replay,
      events_read: read,
      progress_percent: target === 0 ? 100 : Math.floor((read / target) * 10000) / 100,
    };
  }

  /** Connects and reads the whole log (a replay). */
  async start(): Promise<void> {
    await this.#dlq.connect();
    await this.startReplay();
  }

  /**
   * Stops consuming, sends the group's offsets back to the earliest through the admin API (which
   * needs the group to have no running members), clears the metrics and reads again. A replay
   * already switching is joined.
   */
  startReplay(): Promise<Replay> {
    this.#switching ??= this.#switchToReplay().finally(() => this.#switching = undefined);
    return this.#switching;
  }

  /** Resolves once the replay `id` has read up to its snapshot. */
  async waitForReplay(id: string): Promise<void> {
    if (this.#replay?.id !== id) throw new Error(`Unknown replay ${id}`);
    await this.#done;
  }

  /** Leaves the group. */
  async stop(): Promise<void> {
    this.#stopSignal.abort();
    await this.#restarter.settled();
    await this.#consumer?.disconnect();
    await this.#dlq.disconnect();
  }

  async #switchToReplay(): Promise<Replay> {
    const { admin, logger } = this.options;
    if (this.#consumer) {
      await this.#consumer.disconnect();
      this.#consumer = undefined;
      this.#joined = false;
    }
    const ends = await admin.fetchTopicOffsets(INVENTORY_EVENTS);
    await resetToEarliest(admin);
    this.#accumulator = new MetricsAccumulator();
    this.#figures = { events_consumed: 0, duplicates_ignored: 0, invalid_events: 0 };
    this.#targets = new Map(
      ends.filter((end) => BigInt(end.high) > BigInt(end.low)).map((
        end,
      ) => [end.partition, BigInt(end.high)]),
    );
    this.#read = new Map(ends.map((end) => [end.partition, BigInt(end.low)]));
    this.#replay = {
      id: crypto.randomUUID(),
      state: "running",
      started_at: new Date().toISOString(),
      finished_at: null,
      target_events: ends.reduce((sum, end) => sum + Number(BigInt(end.high) - BigInt(end.low)), 0),
      events_read: 0,
      progress_percent: 0,
    };
    this.#done = new Promise((resolve) => this.#caughtUp = resolve);
    this.#checkCaughtUp();
    logger.info("replay started", {
      replay_id: this.#replay.id,
      target_events: this.#replay.target_events,
    });

    await this.#runConsumer();
    return this.replay()!;
  }

  /** A new member of the group, consuming from the group's committed offsets. */
  async #runConsumer(): Promise<void> {
    const { logger } = this.options;
    const consumer = this.options.kafka.consumer({
      groupId: ANALYTICS_GROUP,
      readUncommitted: false,
      maxWaitTimeInMs: 250,
      maxBytesPerPartition: 512 * 1024,
    });
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (consumer === this.#consumer) {
        this.#onBatchProcessed(payload.partition, payload.lastOffset);
      }
    });
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.#joined = true;
      this.#restarter.healthy();
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.#joined = false;
      // kafkajs restarts by itself only after retriable errors; after any other this consumer
      // would stay stopped. Restarted, it resumes from the committed offsets; events read twice
      // are counted once (by order_id), so the metrics stay exact.
      logger.error("consumer crashed", {
        error: payload.error,
        restarted_by: payload.restart ? "kafkajs" : "this service",
      });
      if (!payload.restart && consumer === this.#consumer) this.#restarter.request(payload.error);
    });
    this.#consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic: INVENTORY_EVENTS, fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: 3,
      // kafkajs commits after every batch it hands to eachBatch, but a fetch that holds only
      // aborted records and transaction markers it merely resolves, committing it only once a
      // threshold is reached. With none set, the committed offsets (and so the lag) stayed
      // behind an aborted tail forever.
      autoCommitThreshold: 1,
      eachBatch: (payload) => this.#consume(payload),
    });
  }

  async #consume({ batch }: EachBatchPayload): Promise<void> {
    const invalid = [];
    const schema = SCHEMA_BY_TOPIC[INVENTORY_EVENTS];
    for (const message of batch.messages) {
      this.#figures.events_consumed++;
      const decoded = decodeEvent(schema, message.value);
      if (decoded.ok) {
        if (!this.#accumulator.add(decoded.event, batch.partition)) {
          this.#figures.duplicates_ignored++;
        }
        continue;
      }
      this.#figures.invalid_events++;
      invalid.push({
        key: message.key,
        value: message.value,
        headers: deadLetterHeaders({
          reason: decoded.reason,
          detail: decoded.detail,
          topic: INVENTORY_EVENTS,
          partition: batch.partition,
          offset: message.offset,
          failedAt: new Date().toISOString(),
        }),
      });
    }
    // Dead letters are written before the batch's offsets are committed: at least once.
    if (invalid.length > 0) {
      await this.#dlq.send({ topic: INVENTORY_EVENTS_DLQ, acks: -1, messages: invalid });
    }
  }

  /**
   * A batch of inventory-events was processed up to `lastOffset`. Read from kafkajs's
   * batch-processed event rather than inside eachBatch: kafkajs does not call eachBatch for a
   * fetch that holds only aborted records and transaction markers, so a partition whose tail is
   * an aborted transaction would otherwise never look read to its end.
   */
  #onBatchProcessed(partition: number, lastOffset: string): void {
    const read = BigInt(lastOffset) + 1n;
    if (read > (this.#read.get(partition) ?? 0n)) this.#read.set(partition, read);
    this.#checkCaughtUp();
  }

  #checkCaughtUp(): void {
    if (!this.#replay || this.#replay.state === "done") return;
    for (const [partition, target] of this.#targets) {
      if ((this.#read.get(partition) ?? 0n) < target) return;
    }
    this.#replay.state = "done";
    this.#replay.finished_at = new Date().toISOString();
    this.options.logger.info("replay caught up", {
      replay_id: this.#replay.id,
      events: this.#figures.events_consumed,
    });
    this.#caughtUp?.();
  }
}

/** Kafka's error code for a group that does not exist (nothing to reset). */
const GROUP_ID_NOT_FOUND = 69;

/**
 * Sends the group back to the earliest offsets: deletes its committed offsets through the admin
 * API (DeleteGroups, which Kafka allows only for a group with no running members), so the member
 * that joins next starts from the beginning. kafkajs's admin.resetOffsets does the same through a
 * throw-away consumer whose paused fetch waits 5 s; this takes milliseconds.
 *
 * The group is described first: that waits (kafkajs retries) until its coordinator has loaded,
 * and tells whether there is anything to delete. Deleting while the coordinator still loads makes
 * Kafka 4 log an ERROR for every attempt; a group that does not exist needs no reset at all.
 * Retries while a member that just left is still listed.
 */
async function resetToEarliest(admin: Admin): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (true) {
    try {
      const { groups } = await admin.describeGroups([ANALYTICS_GROUP]);
      const state = groups[0]?.state;
      if (state === undefined || state === "Dead") return;
      if (state === "Empty") {
        await admin.deleteGroups([ANALYTICS_GROUP]);
        return;
      }
    } catch (error) {
      const code = (error as { groups?: { errorCode: number }[] }).groups?.[0]?.errorCode;
      if (code === GROUP_ID_NOT_FOUND) return;
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) {
      throw new Error(`Cannot reset group ${ANALYTICS_GROUP}: it still has members after 30 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
