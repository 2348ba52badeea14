/**
 * The few things the inventory processor needs from Kafka, as narrow interfaces of its own, and
 * their kafkajs implementation. The processor talks only to these, so its unit tests drive a
 * rebalance, a failed or fenced commit, a crash and a restore with fakes (processor_test.ts),
 * the way kafkajs tests its own runner; the broker-backed tests exercise the real thing.
 * @module
 */
import {
  type Consumer,
  type Kafka,
  Partitioners,
  type Producer,
  type TopicMessages,
} from "kafkajs";
import {
  CONSUMER_SERVICE_RETRY,
  GROUP_SESSION,
  waitForGroupCoordinator,
} from "@campus/shared/kafka";
import type { Logger } from "@campus/shared/log";
import { INVENTORY_GROUP, ORDER_EVENTS } from "@campus/shared/topics";
import type { PartitionState } from "./partition_state.ts";
import { fenceRecords } from "./records.ts";
import { restorePartitions } from "./restore.ts";

/** A message of order-events, as far as deciding needs it. */
export interface FetchedMessage {
  offset: string;
  key: Uint8Array | string | null;
  value: Uint8Array | string | null;
}

/** One fetched batch of one partition, with the controls kafkajs hands its handler. */
export interface FetchedBatch {
  partition: number;
  messages: readonly FetchedMessage[];
  /** Marks `offset` consumed (the next fetch after a failure starts past it). */
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  isRunning(): boolean;
  /** The batch was fetched before a rebalance or seek: stop deciding it. */
  isStale(): boolean;
}

/** A member of the inventory group on order-events. */
export interface GroupMember {
  /** Joined (again), owning `partitions`. */
  onJoin(listener: (partitions: number[]) => void): void;
  /** Stopped by an error; `restartedByClient` when the client restarts it by itself. */
  onCrash(listener: (error: unknown, restartedByClient: boolean) => void): void;
  onStop(listener: () => void): void;
  /** Connects, subscribes and starts handing each fetched batch to `eachBatch`. */
  run(eachBatch: (batch: FetchedBatch) => Promise<void>): Promise<void>;
  disconnect(): Promise<void>;
}

/** A transaction of one partition's producer. */
export interface PartitionTransaction {
  sendBatch(records: { topicMessages: TopicMessages[]; acks: -1 }): Promise<unknown>;
  sendOffsets(offsets: {
    consumerGroupId: string;
    topics: { topic: string; partitions: { partition: number; offset: string }[] }[];
  }): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** The transactional producer of one partition of order-events. */
export interface PartitionProducer {
  connect(): Promise<void>;
  transaction(): Promise<PartitionTransaction>;
  /**
   * Takes over the partition's transactional id (a new producer session fences the previous one)
   * and writes an aborted transaction to every partition it writes, so that nothing a previous
   * session left open there can commit later (records.ts, fenceRecords).
   */
  fence(): Promise<void>;
  disconnect(): Promise<void>;
}

/** Everything the processor asks of Kafka. */
export interface InventoryKafka {
  member(): GroupMember;
  producer(partition: number): PartitionProducer;
  /** Rebuilds the state of `partitions` from the changelogs, forgetting decisions before then. */
  restore(
    partitions: readonly number[],
    decidedSinceMs: number,
  ): Promise<Map<number, PartitionState>>;
}

/** The kafkajs implementation. */
export function kafkaInventoryPort(
  kafka: Kafka,
  options: {
    logger: Logger;
    menu: ReadonlyMap<string, number>;
    partitionFor: (item: string) => number;
  },
): InventoryKafka {
  return {
    member: () => kafkaMember(kafka),
    producer: (partition) =>
      fencingProducer(
        partition,
        kafka.producer({
          // Named by the partition: whoever takes it over fences the previous owner.
          transactionalId: `${INVENTORY_GROUP}.${ORDER_EVENTS}.${partition}`,
          idempotent: true,
          maxInFlightRequests: 1,
          transactionTimeout: 60_000,
          // Right after a commit the coordinator may still be writing its markers and answer
          // CONCURRENT_TRANSACTIONS; retry that quickly (the Java client waits 20 ms), not in 100 ms.
          retry: { initialRetryTime: 5, maxRetryTime: 1_000, retries: 12 },
          // Every record names its partition; this only keeps kafkajs from warning about its default.
          createPartitioner: Partitioners.DefaultPartitioner,
        }),
      ),
    restore: (partitions, decidedSinceMs) =>
      restorePartitions(partitions, { kafka, ...options, decidedSinceMs }),
  };
}

function fencingProducer(partition: number, producer: Producer): PartitionProducer {
  return {
    connect: () => producer.connect(),
    transaction: () => producer.transaction(),
    disconnect: () => producer.disconnect(),
    async fence() {
      const transaction = await producer.transaction();
      try {
        await transaction.sendBatch({ topicMessages: fenceRecords(partition), acks: -1 });
      } finally {
        await transaction.abort();
      }
    },
  };
}

function kafkaMember(kafka: Kafka): GroupMember {
  const consumer: Consumer = kafka.consumer({
    groupId: INVENTORY_GROUP,
    readUncommitted: false,
    // Each fetch becomes one transaction per partition it holds: a fetch answered as soon as one
    // order arrived made hundreds of tiny transactions a second, and the broker spent a core on
    // them. So a fetch waits 25 ms unless 256 KiB (about 800 orders) are there before: below
    // about 30,000 orders/s, every fetch takes what 25 ms brought. 256 KiB, not more: the broker
    // counts at most maxBytesPerPartition of each partition towards it, and an instance owning a
    // single partition with a backlog must not wait 25 ms a fetch. Waiting for 64 KiB instead
    // (about 200 orders, six partitions of ~33 each at 15,000/s) measured, with the whole pipeline
    // on 2 cores: at 1,000-5,000/s broker CPU per order down by a third or more against no wait;
    // at 64 connections (wrk) POST /order 15,000-16,600/s with the broker at 37-41 % of a core,
    // against 15,900-18,900/s and 27-36 % waiting for 512 KiB (the same 25 ms at these rates).
    minBytes: 256 * 1024,
    maxWaitTimeInMs: 25,
    // Two partitions' worth a request; a full partition (about 1,200 orders) is one or two
    // transactions (processor.ts bounds a chunk's output). kafkajs fetches again only once every
    // batch of the last fetch is processed, so a larger fetch means fewer waits for one. Each
    // fetch is read into 64 KiB blocks and joined into one buffer the decoded messages keep alive.
    // bench:inventory --orders 300000 (six partitions), 2 MB semi-spaces (deno.json), before
    // kafkajs_varints.ts: 24,100-29,300 orders/s first to last commit at 138-146 MiB peak RSS;
    // with 4 MB semi-spaces, 192 KiB / 512 KiB did 21,600-22,900/s at 144-147 MiB, and 384 KiB /
    // 1 MiB peaked at 157-181 MiB.
    maxBytesPerPartition: 384 * 1024,
    maxBytes: 768 * 1024,
    // Long processing delays heartbeat between messages, so they do not hit the session timeout.
    ...GROUP_SESSION,
    // kafkajs's consumers default to 5 retries whatever the client's: ride out a broker restart.
    retry: CONSUMER_SERVICE_RETRY,
  });
  const { GROUP_JOIN, CRASH, STOP } = consumer.events;
  return {
    onJoin: (listener) =>
      void consumer.on(
        GROUP_JOIN,
        ({ payload }) => listener(payload.memberAssignment[ORDER_EVENTS] ?? []),
      ),
    onCrash: (listener) =>
      void consumer.on(CRASH, ({ payload }) => listener(payload.error, payload.restart)),
    onStop: (listener) => void consumer.on(STOP, () => listener()),
    async run(eachBatch) {
      await waitForGroupCoordinator(kafka, INVENTORY_GROUP);
      await consumer.connect();
      await consumer.subscribe({ topic: ORDER_EVENTS, fromBeginning: true });
      await consumer.run({
        autoCommit: false, // offsets commit inside each transaction
        eachBatchAutoResolve: false, // a chunk not committed must be fetched again
        partitionsConsumedConcurrently: 3,
        eachBatch: ({ batch, resolveOffset, heartbeat, isRunning, isStale }) =>
          eachBatch({
            partition: batch.partition,
            messages: batch.messages,
            resolveOffset,
            heartbeat,
            isRunning,
            isStale,
          }),
      });
    },
    disconnect: () => consumer.disconnect(),
  };
}
