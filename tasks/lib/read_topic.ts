/**
 * Reading a topic back to its end, as a checker does: only committed records (read_committed),
 * up to the end offsets as they are when called.
 * @module
 */
import type { Kafka } from "kafkajs";
import { poll } from "@campus/shared/timing";

/** A record read back from a topic. */
export interface ReadRecord {
  partition: number;
  offset: string;
  key: string | undefined;
  value: string | undefined;
  headers: Record<string, string>;
}

/**
 * Every committed record of `topic` up to its end offsets as they are when called (read_committed),
 * from the beginning or from `from` (per partition).
 */
export async function readToEnd(
  kafka: Kafka,
  topic: string,
  options: { from?: ReadonlyMap<number, string>; timeoutMs?: number } = {},
): Promise<ReadRecord[]> {
  const targets = new Map<number, bigint>();
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const entry of await admin.fetchTopicOffsets(topic)) {
      const start = BigInt(options.from?.get(entry.partition) ?? entry.low);
      if (BigInt(entry.high) > start) targets.set(entry.partition, BigInt(entry.high));
    }
  } finally {
    await admin.disconnect();
  }
  const records: ReadRecord[] = [];
  if (targets.size === 0) return records;
  const consumer = kafka.consumer({
    groupId: `read-${crypto.randomUUID()}`,
    readUncommitted: false,
    maxWaitTimeInMs: 100,
  });
  const pending = new Set(targets.keys());
  // Progress comes from the batch-processed events, not eachBatch: kafkajs calls eachBatch for no
  // fetch that holds only transaction markers or aborted records, so a partition ending in them
  // would never look read to its end.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    const target = targets.get(payload.partition);
    if (target !== undefined && BigInt(payload.lastOffset) + 1n >= target) {
      pending.delete(payload.partition);
    }
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: ({ batch }) => {
        for (const message of batch.messages) {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(message.headers ?? {})) {
            headers[name] = String(value);
          }
          records.push({
            partition: batch.partition,
            offset: message.offset,
            key: message.key?.toString(),
            value: message.value?.toString(),
            headers,
          });
        }
        return Promise.resolve();
      },
    });
    for (const [partition, offset] of options.from ?? []) {
      if (targets.has(partition)) consumer.seek({ topic, partition, offset });
    }
    await poll(`${topic} read to its end`, () => pending.size === 0 ? true : undefined, {
      timeoutMs: options.timeoutMs ?? 30_000,
      lastSeen: () => ({ records: records.length, pending: [...pending] }),
    });
  } finally {
    await consumer.disconnect();
  }
  return records.filter((record) => {
    const from = options.from?.get(record.partition);
    return from === undefined || BigInt(record.offset) >= BigInt(from);
  });
}
