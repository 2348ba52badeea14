/**
 * Rebuilds a partition's state from its changelogs: the stock levels (compacted, keyed by item)
 * and the decided order ids (compacted, kept for the dedupe window). Reads committed data only,
 * from the earliest offset to the high watermark taken when the restore starts.
 * @module
 */
import type { Kafka } from "kafkajs";
import type { Logger } from "@campus/shared/log";
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

/** Restores the state of `partitions`. */
export async function restorePartitions(
  partitions: readonly number[],
  options: RestoreOptions,
): Promise<Map<number, PartitionState>> {
  const { kafka, logger } = options;
  const restored = new Map<number, PartitionState>();
  for (const partition of partitions) restored.set(partition, initialState(partition, options));

  // Where each changelog partition ends now; reading up to there gives every committed change.
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

  let records = 0;
  if (targets.size > 0) {
    const consumer = kafka.consumer({
      groupId: `inventory-restore-${crypto.randomUUID()}`,
      readUncommitted: false,
      maxWaitTimeInMs: 100,
    });
    const remaining = new Set(targets.keys());
    let caughtUp!: () => void;
    const done = new Promise<void>((resolve) => caughtUp = resolve);
    // Progress is read from the batch-processed events, not inside eachBatch: kafkajs does not
    // call eachBatch for a fetch that holds only aborted records and transaction markers, and
    // a partition whose tail is an aborted transaction would never look finished.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      const key = `${payload.topic}:${payload.partition}`;
      const target = targets.get(key);
      if (target === undefined || BigInt(payload.lastOffset) + 1n < target) return;
      remaining.delete(key);
      if (remaining.size === 0) caughtUp();
    });
    await consumer.connect();
    try {
      await consumer.subscribe({
        topics: [INVENTORY_CHANGELOG, INVENTORY_DECIDED],
        fromBeginning: true,
      });
      await consumer.run({
        autoCommit: false,
        eachBatch: ({ batch }) => {
          const state = restored.get(batch.partition);
          const key = `${batch.topic}:${batch.partition}`;
          if (!state || !targets.has(key)) return Promise.resolve();
          for (const message of batch.messages) {
            records++;
            const value = message.value?.toString();
            if (value === undefined) continue;
            if (batch.topic === INVENTORY_CHANGELOG) {
              const level = StockLevel.safeParse(parseJson(value));
              if (level.success) applyStockRecord(state, level.data);
              else {
                logger.warn("skipping an invalid stock record", {
                  partition: batch.partition,
                  offset: message.offset,
                });
              }
            } else {
              const decided = DecidedChunk.safeParse(parseJson(value));
              if (decided.success) applyDecidedRecord(state, decided.data);
              else {
                logger.warn("skipping an invalid decided-orders record", {
                  partition: batch.partition,
                  offset: message.offset,
                });
              }
            }
          }
          return Promise.resolve();
        },
      });
      const timeoutMs = options.timeoutMs ?? 60_000;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        done,
        new Promise((_, reject) =>
          timer = setTimeout(
            () =>
              reject(
                new Error(
                  `Restore did not reach the end of ${
                    [...remaining].join(", ")
                  } within ${timeoutMs} ms`,
                ),
              ),
            timeoutMs,
          )
        ),
      ]).finally(() => clearTimeout(timer));
    } finally {
      await consumer.disconnect();
    }
  }
  for (const state of restored.values()) forgetDecidedBefore(state, options.decidedSinceMs);
  logger.info("restored partition state", {
    partitions,
    records,
    items: Object.fromEntries([...restored.values()].flatMap((state) => [...state.stock])),
    decided: [...restored.values()].reduce((sum, state) => sum + state.decided.size, 0),
  });
  return restored;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // reported as an invalid record by the schema check
  }
}
