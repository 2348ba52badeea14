/**
 * The few things the analytics consumer needs from Kafka, as narrow interfaces of its own, and
 * their kafkajs implementation. The consumer talks only to these, so its unit tests drive
 * replays, crashes, dead letters and an aborted tail with fakes (consumer_test.ts); the
 * broker-backed tests exercise the real thing.
 * @module
 */
import { type Admin, type Kafka, type Message, Partitioners } from "kafkajs";
import {
  CONSUMER_SERVICE_RETRY,
  GROUP_SESSION,
  waitForGroupCoordinator,
} from "@campus/shared/kafka";
import { sleep } from "@campus/shared/timing";
import { ANALYTICS_GROUP, INVENTORY_EVENTS, INVENTORY_EVENTS_DLQ } from "@campus/shared/topics";

/** A message of inventory-events. */
export interface EventMessage {
  offset: string;
  key: Uint8Array | string | null;
  value: Uint8Array | string | null;
}

/** One fetched batch of one partition of inventory-events. */
export interface EventBatch {
  partition: number;
  messages: readonly EventMessage[];
}

/** A member of the analytics group on inventory-events. */
export interface AnalyticsMember {
  onJoin(listener: () => void): void;
  /** Stopped by an error; `restartedByClient` when the client restarts it by itself. */
  onCrash(listener: (error: unknown, restartedByClient: boolean) => void): void;
  /**
   * A partition was processed up to `lastOffset`, also for fetches that held only aborted
   * records and transaction markers (which never reach `eachBatch`).
   */
  onProcessed(listener: (partition: number, lastOffset: string) => void): void;
  /** Connects, subscribes (from the group's committed offsets) and starts consuming. */
  run(eachBatch: (batch: EventBatch) => Promise<void>): Promise<void>;
  disconnect(): Promise<void>;
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
  /** Sends the group back to the earliest offsets; the group must have no running members. */
  resetGroup(): Promise<void>;
  deadLetters: {
    connect(): Promise<void>;
    send(letters: DeadLetter[]): Promise<void>;
    disconnect(): Promise<void>;
  };
}

/** The kafkajs implementation. */
export function kafkaAnalyticsPort(kafka: Kafka, admin: Admin): AnalyticsKafka {
  // Dead letters are written at least once (acks=all); no idempotence needed, so no producer id.
  const dlq = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  return {
    member: () => kafkaMember(kafka),
    endOffsets: () => admin.fetchTopicOffsets(INVENTORY_EVENTS),
    resetGroup: () => resetToEarliest(admin),
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
    maxBytesPerPartition: 512 * 1024,
    ...GROUP_SESSION,
    // kafkajs's consumers default to 5 retries whatever the client's: ride out a broker restart.
    retry: CONSUMER_SERVICE_RETRY,
  });
  const { GROUP_JOIN, CRASH, END_BATCH_PROCESS } = consumer.events;
  return {
    onJoin: (listener) => void consumer.on(GROUP_JOIN, () => listener()),
    onCrash: (listener) =>
      void consumer.on(CRASH, ({ payload }) => listener(payload.error, payload.restart)),
    onProcessed: (listener) =>
      void consumer.on(
        END_BATCH_PROCESS,
        ({ payload }) => listener(payload.partition, payload.lastOffset),
      ),
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
        eachBatch: ({ batch }) =>
          eachBatch({ partition: batch.partition, messages: batch.messages }),
      });
    },
    disconnect: () => consumer.disconnect(),
  };
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
    await sleep(100);
  }
}
