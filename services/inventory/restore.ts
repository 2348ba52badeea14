/**
 * Rebuilds a partition's state from its changelogs: the stock levels (compacted, keyed by item)
 * and the decided order ids (compacted, kept for the dedupe window). Reads committed data only,
 * from the earliest offset to the high watermark taken when the restore starts.
 * @module
 */
import type { Kafka } from "kafkajs";
import type { Logger } from "@campus/shared/log";
import { INVENTORY_CHANGELOG, INVENTORY_DECIDED } from "@campus/shared/topics";
import { DecidedOrders } from "./decided.ts";
import { DecidedChunk, StockLevel } from "./records.ts";
import type { Stock } from "./stock.ts";

/** A partition's state. */
export interface PartitionState {
  stock: Stock;
  decided: DecidedOrders;
}

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
  const restored = new Map<number, { stock: Map<string, number>; decided: DecidedOrders }>();
  for (const partition of partitions) {
    const stock = new Map<string, number>();
    for (const [item, units] of options.menu) {
      if (options.partitionFor(item) === partition) stock.set(item, units);
    }
    restored.set(partition, { stock, decided: new DecidedOrders() });
  }

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
              // The menu decides what is sold; the changelog only how much of it is left.
              if (level.success && state.stock.has(level.data.item)) {
                state.stock.set(level.data.item, level.data.remaining);
              } else if (!level.success) {
                logger.warn("skipping an invalid stock record", {
                  partition: batch.partition,
                  offset: message.offset,
                });
              }
            } else {
              const decided = DecidedChunk.safeParse(parseJson(value));
              if (!decided.success) {
                logger.warn("skipping an invalid decided-orders record", {
                  partition: batch.partition,
                  offset: message.offset,
                });
                continue;
              }
              // Every id, in decision order, then the same time rule as the live path (below):
              // beyond its bound the set forgets the oldest as it goes, as the live one did.
              const decidedAt = Date.parse(decided.data.decided_at);
              for (const orderId of decided.data.order_ids) state.decided.add(orderId, decidedAt);
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
  for (const state of restored.values()) state.decided.forgetBefore(options.decidedSinceMs);
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
