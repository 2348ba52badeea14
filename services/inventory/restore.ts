/**
 * Rebuilds a partition's state from its changelogs: the stock levels (compacted, keyed by item)
 * and the decided order ids (compacted, kept for the dedupe window). Reads committed data only,
 * from the earliest offset to the high watermark taken when the restore starts.
 * @module
 */
import type { Kafka } from "kafkajs";
import type { Logger } from "@campus/shared/log";
import { deadline } from "@campus/shared/timing";
import { INVENTORY_CHANGELOG, INVENTORY_DECIDED } from "@campus/shared/topics";
import {
  applyDecidedRecord,
  applyStockRecord,
  forgetDecidedBefore,
  initialState,
  type PartitionState,
} from "./partition_state.ts";
import { DecidedChunk, StockLevel } from "./records.ts";

export type { PartitionState } from "./partition_state.ts";

/** Options of {@linkcode restorePartitions}. */
export interface RestoreOptions {
  kafka: Kafka;
  logger: Logger;
  /** Initial stock of every item; a partition starts with the items that hash to it. */
  menu: ReadonlyMap<string, number>;
  partitionFor: (item: string) => number;
  /** Decided ids older than this are not restored (the changelog forgets them too). */
  decidedSinceMs: number;
  timeoutMs?: number;
}

/** Restores the state of `partitions`: reads both changelogs to where they end now. */
export async function restorePartitions(
  partitions: readonly number[],
  options: RestoreOptions,
): Promise<Map<number, PartitionState>> {
  const restored = new Map<number, PartitionState>();
  for (const partition of partitions) restored.set(partition, initialState(partition, options));
  const targets = await changelogEnds(options.kafka, partitions);
  const records = targets.size === 0
    ? 0
    : await readChangelogs(targets, (topic, partition, value, offset) => {
      const state = restored.get(partition);
      if (state) applyRecord(state, topic, value, { partition, offset, logger: options.logger });
    }, options);
  for (const state of restored.values()) forgetDecidedBefore(state, options.decidedSinceMs);
  options.logger.info("restored partition state", {
    partitions,
    records,
    items: Object.fromEntries([...restored.values()].flatMap((state) => [...state.stock])),
    decided: [...restored.values()].reduce((sum, state) => sum + state.decided.size, 0),
  });
  return restored;
}

/**
 * Where each changelog partition of `partitions` ends now (empty ones left out), keyed
 * `topic:partition`: reading up to there gives every change committed before the restore began.
 */
async function changelogEnds(
  kafka: Kafka,
  partitions: readonly number[],
): Promise<Map<string, bigint>> {
  const targets = new Map<string, bigint>();
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const topic of [INVENTORY_CHANGELOG, INVENTORY_DECIDED]) {
      for (const offsets of await admin.fetchTopicOffsets(topic)) {
        if (!partitions.includes(offsets.partition)) continue;
        if (BigInt(offsets.high) > BigInt(offsets.low)) {
          targets.set(`${topic}:${offsets.partition}`, BigInt(offsets.high));
        }
      }
    }
  } finally {
    await admin.disconnect();
  }
  return targets;
}

/**
 * Reads the changelogs (committed data only) from the beginning to `targets`, calling `onRecord`
 * for each record in order; returns how many records it read.
 */
async function readChangelogs(
  targets: ReadonlyMap<string, bigint>,
  onRecord: (topic: string, partition: number, value: string, offset: string) => void,
  options: Pick<RestoreOptions, "kafka" | "timeoutMs">,
): Promise<number> {
  const consumer = options.kafka.consumer({
    groupId: `inventory-restore-${crypto.randomUUID()}`,
    readUncommitted: false,
    maxWaitTimeInMs: 100,
  });
  const remaining = new Set(targets.keys());
  const caughtUp = Promise.withResolvers<void>();
  // Progress is read from the batch-processed events, not inside eachBatch: kafkajs does not
  // call eachBatch for a fetch that holds only aborted records and transaction markers, and
  // a partition whose tail is an aborted transaction would never look finished.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    const key = `${payload.topic}:${payload.partition}`;
    const target = targets.get(key);
    if (target === undefined || BigInt(payload.lastOffset) + 1n < target) return;
    remaining.delete(key);
    if (remaining.size === 0) caughtUp.resolve();
  });
  let records = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({
      topics: [INVENTORY_CHANGELOG, INVENTORY_DECIDED],
      fromBeginning: true,
    });
    await consumer.run({
      autoCommit: false,
      eachBatch: ({ batch }) => {
        if (!targets.has(`${batch.topic}:${batch.partition}`)) return Promise.resolve();
        for (const message of batch.messages) {
          records++;
          const value = message.value?.toString();
          if (value !== undefined) onRecord(batch.topic, batch.partition, value, message.offset);
        }
        return Promise.resolve();
      },
    });
    const timeoutMs = options.timeoutMs ?? 60_000;
    await deadline(
      caughtUp.promise,
      timeoutMs,
      () =>
        new Error(
          `Restore did not reach the end of ${[...remaining].join(", ")} within ${timeoutMs} ms`,
        ),
    );
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/** Applies one changelog record; an invalid one is logged and skipped. */
function applyRecord(
  state: PartitionState,
  topic: string,
  value: string,
  where: { partition: number; offset: string; logger: Logger },
): void {
  if (topic === INVENTORY_CHANGELOG) {
    const level = StockLevel.safeParse(parseJson(value));
    if (level.success) return applyStockRecord(state, level.data);
  } else {
    const decided = DecidedChunk.safeParse(parseJson(value));
    if (decided.success) return applyDecidedRecord(state, decided.data);
  }
  where.logger.warn(`skipping an invalid ${topic} record`, {
    partition: where.partition,
    offset: where.offset,
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // reported as an invalid record by the schema check
  }
}
