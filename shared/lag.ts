/** Consumer lag per partition, from the group's committed offsets and the topic's end offsets. */
import type { Admin } from "kafkajs";

/** Lag of each partition: end offset minus committed offset (from the start if none committed). */
export function computeLag(
  ends: readonly { partition: number; high: string; low: string }[],
  committed: readonly { partition: number; offset: string }[],
): Map<number, number> {
  const lag = new Map<number, number>();
  for (const end of ends) {
    const offset = committed.find((entry) => entry.partition === end.partition)?.offset ?? "-1";
    const from = BigInt(offset) < 0n ? BigInt(end.low) : BigInt(offset);
    const behind = BigInt(end.high) - from;
    lag.set(end.partition, Number(behind > 0n ? behind : 0n));
  }
  return lag;
}

/** Reads the lag of `groupId` on `topic` through `admin`. */
export async function readLag(
  admin: Admin,
  options: { groupId: string; topic: string },
): Promise<Map<number, number>> {
  const [ends, [committed]] = await Promise.all([
    admin.fetchTopicOffsets(options.topic),
    admin.fetchOffsets({ groupId: options.groupId, topics: [options.topic] }),
  ]);
  return computeLag(ends, committed?.partitions ?? []);
}
