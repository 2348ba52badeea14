/**
 * Rebuilds a partition's state from its changelogs: the stock levels (compacted, keyed by item)
 * and the decided order ids (compacted, kept for the dedupe window). Reads committed data only,
 * from the earliest offset to the last stable offset taken when the restore starts (kafkajs's
 * fetchTopicOffsets asks for it: ListOffsets read_committed), and only once no transaction is
 * open beyond it.
 * @module
 */
import type { Admin, Kafka } from "kafkajs";
import type { Logger } from "@campus/shared/log";
import { deadline, sleep } from "@campus/shared/timing";
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
  // One admin client for the ends, also while waiting for an open transaction to end.
  const admin = options.kafka.admin();
  await admin.connect();
  let records: number;
  try {
    const stableEnds = () => changelogEnds(admin, partitions);
    const targets = await stableEnds();
    records = targets.size === 0
      ? 0
      : await readChangelogs(targets, (topic, partition, value, offset) => {
        const state = restored.get(partition);
        if (state) applyRecord(state, topic, value, { partition, offset, logger: options.logger });
      }, { ...options, stableEnds });
  } finally {
    await admin.disconnect();
  }
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
 * The changelog partitions whose high watermark is beyond the last stable offset read up to: a
 * transaction is still open there. The caller fenced the partition's transactional id first, so
 * nobody else may write there; yet a transaction of the previous session can still be open after
 * a broker restart (seen in the chaos campaign, seed 2026: it committed after the restore, and its
 * orders were decided a second time). Restoring without it would decide its orders again.
 */
export function openTransactions(
  targets: ReadonlyMap<string, bigint>,
  highWatermarks: ReadonlyMap<string, bigint>,
): string[] {
  return [...targets].flatMap(([key, target]) => {
    const highWatermark = highWatermarks.get(key);
    return highWatermark !== undefined && highWatermark > target
      ? [`${key} (stable up to ${target}, written up to ${highWatermark})`]
      : [];
  });
}

/** A restore met an open transaction; it is retried once the transaction has ended. */
export class OpenTransactionError extends Error {
  override name = "OpenTransactionError";
  constructor(readonly partitions: string[]) {
    super(`A transaction is still open on ${partitions.join(", ")}; restoring once it ends`);
  }
}

/**
 * Where each changelog partition of `partitions` ends now (empty ones left out), keyed
 * `topic:partition`: reading up to there gives every change committed before the restore began.
 */
async function changelogEnds(
  admin: Admin,
  partitions: readonly number[],
): Promise<Map<string, bigint>> {
  const targets = new Map<string, bigint>();
  for (const topic of [INVENTORY_CHANGELOG, INVENTORY_DECIDED]) {
    for (const offsets of await admin.fetchTopicOffsets(topic)) {
      if (!partitions.includes(offsets.partition)) continue;
      if (BigInt(offsets.high) > BigInt(offsets.low)) {
        targets.set(`${topic}:${offsets.partition}`, BigInt(offsets.high));
      }
    }
  }
  return targets;
}

/** How long a restore waits for the transactions still open at its end to be ended. */
const OPEN_TRANSACTION_WAIT_MS = 5_000;

/**
 * Reads the changelogs (committed data only) from the beginning to `targets`, calling `onRecord`
 * for each record in order; returns how many records it read.
 *
 * Where a fetch reports a high watermark beyond the target, a transaction is still open there (the
 * fence's own abort, whose markers the coordinator writes just after answering, or something a
 * previous session left): it reads on as the stable offset moves, and fails with
 * {@linkcode OpenTransactionError} if it has not ended within a few seconds.
 */
async function readChangelogs(
  targets: Map<string, bigint>,
  onRecord: (topic: string, partition: number, value: string, offset: string) => void,
  options: Pick<RestoreOptions, "kafka" | "timeoutMs"> & {
    /** The stable ends of the changelogs now (ListOffsets read_committed). */
    stableEnds: () => Promise<Map<string, bigint>>;
  },
): Promise<number> {
  const consumer = options.kafka.consumer({
    groupId: `inventory-restore-${crypto.randomUUID()}`,
    readUncommitted: false,
    maxWaitTimeInMs: 100,
    // Small, not kafkajs's 10 MB a fetch: a restart reads up to 600,000 decided ids, and memory
    // taken in one restore stays with the process after it.
    maxBytesPerPartition: 192 * 1024,
    maxBytes: 512 * 1024,
  });
  const positions = new Map<string, bigint>();
  const highWatermarks = new Map<string, bigint>();
  let caughtUp = Promise.withResolvers<void>();
  const behind = () =>
    [...targets].filter(([key, target]) => (positions.get(key) ?? 0n) < target).map(([key]) => key);
  // Progress is read from the batch-processed events, not inside eachBatch: kafkajs does not
  // call eachBatch for a fetch that holds only aborted records and transaction markers, and
  // a partition whose tail is an aborted transaction would never look finished.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    const key = `${payload.topic}:${payload.partition}`;
    highWatermarks.set(key, BigInt(payload.highWatermark));
    positions.set(key, BigInt(payload.lastOffset) + 1n);
    if (behind().length === 0) caughtUp.resolve();
  });
  const timeoutMs = options.timeoutMs ?? 60_000;
  const readToTargets = () =>
    deadline(
      caughtUp.promise,
      timeoutMs,
      () =>
        new Error(`Restore did not reach the end of ${behind().join(", ")} within ${timeoutMs} ms`),
    );
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
    await readToTargets();
    const waitUntil = Date.now() + OPEN_TRANSACTION_WAIT_MS;
    for (
      let open = openTransactions(targets, highWatermarks);
      open.length > 0;
      open = openTransactions(targets, highWatermarks)
    ) {
      if (Date.now() > waitUntil) throw new OpenTransactionError(open);
      await sleep(100);
      // Only partitions read from the start: the others' records were skipped.
      for (const [key, end] of await options.stableEnds()) {
        const target = targets.get(key);
        if (target !== undefined && end > target) targets.set(key, end);
      }
      if (behind().length > 0) {
        caughtUp = Promise.withResolvers<void>();
        await readToTargets();
      }
    }
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
