/**
 * The analytics consumer: reads inventory-events (committed data only) into the metrics.
 *
 * Metrics live in memory, so every start is a replay: the group's offsets go back to the earliest
 * (its committed offsets are deleted) and the log is read again, which is also what `POST /replay`
 * does on demand. The group's committed offsets are what lag and progress are measured from.
 * @module
 */
import { deadLetterHeaders } from "@campus/shared/dead_letter";
import { Restarter } from "@campus/shared/restarter";
import { decodeEvent } from "@campus/shared/events/codec";
import { SCHEMA_BY_TOPIC } from "@campus/shared/events/by_topic";
import type { Logger } from "@campus/shared/log";
import { INVENTORY_EVENTS } from "@campus/shared/topics";
import type { AnalyticsKafka, AnalyticsMember, DeadLetter, EventBatch } from "./kafka_port.ts";
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
  /** Kafka, through the few calls the consumer makes (kafka_port.ts). */
  kafka: AnalyticsKafka;
  logger: Logger;
}

/** Reads inventory-events into metrics, and replays them on demand. */
export class AnalyticsConsumer {
  #consumer: AnalyticsMember | undefined;
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
    await this.options.kafka.deadLetters.connect();
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
    await this.options.kafka.deadLetters.disconnect();
  }

  async #switchToReplay(): Promise<Replay> {
    const { kafka, logger } = this.options;
    if (this.#consumer) {
      await this.#consumer.disconnect();
      this.#consumer = undefined;
      this.#joined = false;
    }
    const ends = await kafka.endOffsets();
    await kafka.resetGroup();
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
    const member = this.options.kafka.member();
    member.onProcessed((partition, lastOffset) => {
      if (member === this.#consumer) this.#onBatchProcessed(partition, lastOffset);
    });
    member.onJoin(() => {
      this.#joined = true;
      this.#restarter.healthy();
    });
    member.onCrash((error, restartedByClient) => {
      this.#joined = false;
      // kafkajs restarts by itself only after retriable errors; after any other this consumer
      // would stay stopped. Restarted, it resumes from the committed offsets; events read twice
      // are counted once (by order_id), so the metrics stay exact.
      // A crash kafkajs restarts itself is a retriable condition: info. One it leaves stopped
      // is an error.
      (restartedByClient ? logger.info : logger.error)("consumer crashed", {
        error,
        restarted_by: restartedByClient ? "kafkajs" : "this service",
      });
      if (!restartedByClient && member === this.#consumer) this.#restarter.request(error);
    });
    this.#consumer = member;
    await member.run((batch) => this.#consume(batch));
  }

  async #consume(batch: EventBatch): Promise<void> {
    const invalid: DeadLetter[] = [];
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
    if (invalid.length > 0) await this.options.kafka.deadLetters.send(invalid);
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
