/**
 * The few things the analytics consumer needs from Kafka, as narrow interfaces of its own, and
 * their kafkajs implementation. The consumer talks only to these, so its unit tests drive
 * rebalances, seeks, replays, crashes, dead letters and an aborted tail with fakes
 * (consumer_test.ts); the broker-backed tests exercise the real thing.
 * @module
 */
import { type Admin, type Consumer, type Kafka, type Message, Partitioners } from "kafkajs";
import {
  CONSUMER_SERVICE_RETRY,
  GROUP_SESSION,
  retryWhileLeaderMoves,
  waitForGroupCoordinator,
} from "@campus/shared/kafka";
import { deadline } from "@campus/shared/timing";
import {
  ANALYTICS_GROUP,
  ANALYTICS_SUMMARIES,
  INVENTORY_EVENTS,
  INVENTORY_EVENTS_DLQ,
} from "@campus/shared/topics";

/** A message of inventory-events. */
export interface EventMessage {
  offset: string;
  key: Uint8Array | string | null;
  value: Uint8Array | string | null;
}

/** One fetched batch of one partition of inventory-events. */
export interface EventBatch {
  partition: number;
  /** Where the fetch started: the position the consumer had for this partition. */
  fetchedOffset: string;
  /** The last offset the fetch covered, transaction markers and aborted records included. */
  lastOffset: string;
  messages: readonly EventMessage[];
  /** Fetched before a seek of its partition: its records are not the ones asked for. */
  isStale(): boolean;
}

/** A member of the analytics group on inventory-events. */
export interface AnalyticsMember {
  /**
   * Joined (again), owning `partitions`. Called before the first fetch of the new assignment,
   * so a seek made in the listener applies to it.
   */
  onJoin(listener: (partitions: number[]) => void): void;
  /** Stopped by an error; `restartedByClient` when the client restarts it by itself. */
  onCrash(listener: (error: unknown, restartedByClient: boolean) => void): void;
  /**
   * A fetch held only aborted records and transaction markers, from `firstOffset` to
   * `lastOffset`: it never reaches `eachBatch`, but the position moves past it.
   */
  onSkipped(listener: (partition: number, firstOffset: string, lastOffset: string) => void): void;
  /** Connects, subscribes (from the group's committed offsets) and starts consuming. */
  run(eachBatch: (batch: EventBatch) => Promise<void>): Promise<void>;
  /** The next fetch of `partition` (one this member owns) starts at `offset`. */
  seek(partition: number, offset: string): void;
  disconnect(): Promise<void>;
}

/** A record of the summaries topic, as read. */
export interface FeedRecord {
  offset: string;
  value: Uint8Array | string | null;
}

/** The summaries topic (summaries.ts): read whole by every instance, written by each. */
export interface SummaryFeed {
  /**
   * Reads the topic from its start and keeps following it, handing over every record in order.
   * Resolves once it has read up to where the topic ended when it was called.
   */
  follow(onRecord: (record: FeedRecord) => void): Promise<void>;
  /** Writes records (acks=all); resolves with each one's offset. */
  publish(records: { key: string; value: string }[]): Promise<string[]>;
  stop(): Promise<void>;
}

/** A dead letter for inventory-events.dlq. */
export interface DeadLetter {
  key: EventMessage["key"];
  value: EventMessage["value"];
  headers: Record<string, string>;
}

/** Everything the analytics consumer asks of Kafka. */
export interface AnalyticsKafka {
  member(): AnalyticsMember;
  /** Each partition's first and end offsets of inventory-events now. */
  endOffsets(): Promise<{ partition: number; low: string; high: string }[]>;
  summaries: SummaryFeed;
  deadLetters: {
    connect(): Promise<void>;
    send(letters: DeadLetter[]): Promise<void>;
    disconnect(): Promise<void>;
  };
}

/** The kafkajs implementation; `instance` names this process in its summaries' group. */
export function kafkaAnalyticsPort(kafka: Kafka, admin: Admin, instance: string): AnalyticsKafka {
  // Dead letters are written at least once (acks=all); no idempotence needed, so no producer id.
  const dlq = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  return {
    member: () => kafkaMember(kafka),
    endOffsets: () => retryWhileLeaderMoves(() => admin.fetchTopicOffsets(INVENTORY_EVENTS)),
    summaries: kafkaSummaryFeed(kafka, admin, instance),
    deadLetters: {
      connect: () => dlq.connect(),
      send: async (letters) => {
        await dlq.send({
          topic: INVENTORY_EVENTS_DLQ,
          acks: -1,
          messages: letters as Message[],
        });
      },
      disconnect: () => dlq.disconnect(),
    },
  };
}

function kafkaMember(kafka: Kafka): AnalyticsMember {
  const consumer = kafka.consumer({
    groupId: ANALYTICS_GROUP,
    readUncommitted: false,
    maxWaitTimeInMs: 250,
    // kafkajs's default of 10 MB a fetch is held, and decoded into objects, at once under a
    // backlog, and its buffers are garbage V8 collects late: 192 KiB / 512 KiB.
    maxBytesPerPartition: 192 * 1024,
    maxBytes: 512 * 1024,
    ...GROUP_SESSION,
    // kafkajs's consumers default to 5 retries whatever the client's: ride out a broker restart.
    retry: CONSUMER_SERVICE_RETRY,
  });
  const { GROUP_JOIN, CRASH, END_BATCH_PROCESS } = consumer.events;
  return {
    onJoin: (listener) =>
      void consumer.on(
        GROUP_JOIN,
        ({ payload }) => listener(payload.memberAssignment[INVENTORY_EVENTS] ?? []),
      ),
    onCrash: (listener) =>
      void consumer.on(CRASH, ({ payload }) => listener(payload.error, payload.restart)),
    onSkipped: (listener) =>
      void consumer.on(END_BATCH_PROCESS, ({ payload }) => {
        // Batches with records reached eachBatch, which moves the position itself.
        const first = (payload as { firstOffset: string | null }).firstOffset;
        if (payload.batchSize === 0 && first !== null) {
          listener(payload.partition, first, payload.lastOffset);
        }
      }),
    async run(eachBatch) {
      await waitForGroupCoordinator(kafka, ANALYTICS_GROUP);
      await consumer.connect();
      await consumer.subscribe({ topic: INVENTORY_EVENTS, fromBeginning: true });
      await consumer.run({
        partitionsConsumedConcurrently: 3,
        // kafkajs commits after every batch it hands to eachBatch, but a fetch that holds only
        // aborted records and transaction markers it merely resolves, committing it only once a
        // threshold is reached. With none set, the committed offsets (and so the lag) stayed
        // behind an aborted tail forever.
        autoCommitThreshold: 1,
        eachBatch: ({ batch, isStale }) =>
          eachBatch({
            partition: batch.partition,
            fetchedOffset: (batch as unknown as { fetchedOffset: string }).fetchedOffset,
            lastOffset: batch.lastOffset(),
            messages: batch.messages,
            isStale,
          }),
      });
    },
    seek: (partition, offset) => consumer.seek({ topic: INVENTORY_EVENTS, partition, offset }),
    disconnect: () => consumer.disconnect(),
  };
}

type Progress = (partition: number, lastOffset: string) => void;

/** How long a starting instance may take to read the summaries topic to its end. */
const FOLLOW_TIMEOUT_MS = 60_000;

/**
 * The summaries topic through a consumer of a group of this instance's own (kafkajs has no
 * consumer without a group) that never commits, so every start reads the topic from its start.
 * The group is deleted on the way out; one left by a crash holds no offsets and Kafka drops it.
 */
function kafkaSummaryFeed(kafka: Kafka, admin: Admin, instance: string): SummaryFeed {
  const groupId = `${ANALYTICS_GROUP}.summaries.${instance}`;
  const producer = kafka.producer({
    idempotent: true,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  let consumer: Consumer | undefined;
  let stopped = false;
  /** A consumer of the topic from its start; one that crashes for good is replaced. */
  const run = async (onRecord: (record: FeedRecord) => void, progressed: Progress) => {
    const feed = kafka.consumer({
      groupId,
      maxWaitTimeInMs: 250,
      ...GROUP_SESSION,
      retry: CONSUMER_SERVICE_RETRY,
    });
    consumer = feed;
    feed.on(
      feed.events.END_BATCH_PROCESS,
      ({ payload }) => progressed(payload.partition, payload.lastOffset),
    );
    feed.on(feed.events.CRASH, ({ payload }) => {
      if (payload.restart || stopped || consumer !== feed) return;
      void feed.disconnect().catch(() => {});
      restartSoon(onRecord);
    });
    await feed.connect();
    await feed.subscribe({ topic: ANALYTICS_SUMMARIES, fromBeginning: true });
    await feed.run({
      autoCommit: false,
      eachBatch: ({ batch }) => {
        for (const message of batch.messages) {
          onRecord({ offset: message.offset, value: message.value });
        }
        return Promise.resolve();
      },
    });
  };
  /** A new consumer in a second, read again from the start (taking a record twice changes nothing). */
  const restartSoon = (onRecord: (record: FeedRecord) => void) => {
    setTimeout(() => {
      if (stopped) return;
      run(onRecord, () => {}).catch(() => restartSoon(onRecord)); // the broker may still be away
    }, 1_000);
  };
  return {
    async follow(onRecord) {
      stopped = false;
      const ends = await retryWhileLeaderMoves(() => admin.fetchTopicOffsets(ANALYTICS_SUMMARIES));
      const pending = new Map(
        ends.filter((end) => BigInt(end.high) > BigInt(end.low))
          .map((end) => [end.partition, BigInt(end.high)]),
      );
      let caughtUp: () => void = () => {};
      const readToEnd = new Promise<void>((resolve) => caughtUp = resolve);
      const progressed = (partition: number, lastOffset: string) => {
        const end = pending.get(partition);
        if (end !== undefined && BigInt(lastOffset) + 1n >= end) pending.delete(partition);
        if (pending.size === 0) caughtUp();
      };
      progressed(-1, "0");
      await producer.connect();
      await run(onRecord, progressed);
      await deadline(
        readToEnd,
        FOLLOW_TIMEOUT_MS,
        () =>
          new Error(
            `${ANALYTICS_SUMMARIES} was not read to its end within ${FOLLOW_TIMEOUT_MS} ms`,
          ),
      );
    },
    async publish(records) {
      const metadata = await producer.send({
        topic: ANALYTICS_SUMMARIES,
        acks: -1,
        messages: records,
      });
      // One partition: the records got consecutive offsets from its base offset.
      const base = BigInt(metadata[0]?.baseOffset ?? "-1");
      return records.map((_, index) => String(base + BigInt(index)));
    },
    async stop() {
      stopped = true;
      await consumer?.disconnect();
      await producer.disconnect();
      await admin.deleteGroups([groupId]).catch(() => {});
    },
  };
}
