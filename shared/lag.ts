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

/** Lag of a group, refreshed in the background. */
export interface LagWatch {
  /** The latest lag per partition (empty until the first reading). */
  readonly partitions: ReadonlyMap<number, number>;
  /** The latest lag summed over partitions. */
  readonly total: number;
  /** Reads the lag now (not the last sample), e.g. for a caller that must not see a stale 0. */
  refresh(): Promise<ReadonlyMap<number, number>>;
  stop(): void;
}

/**
 * Reads the lag of `groupId` on `topic` every `intervalMs` while `active()` says so. Lag comes from
 * the group's committed offsets, so it is right even while no batch arrives.
 */
export function watchLag(
  admin: Admin,
  options: {
    groupId: string;
    topic: string;
    active: () => boolean;
    onError: (error: unknown) => void;
    onLag?: (lag: ReadonlyMap<number, number>) => void;
    intervalMs?: number;
  },
): LagWatch {
  let partitions: ReadonlyMap<number, number> = new Map();
  const refresh = async () => {
    partitions = await readLag(admin, options);
    options.onLag?.(partitions);
    return partitions;
  };
  const timer = setInterval(async () => {
    if (!options.active()) return;
    try {
      await refresh();
    } catch (error) {
      options.onError(error);
    }
  }, options.intervalMs ?? 1_000);
  return {
    get partitions() {
      return partitions;
    },
    get total() {
      let sum = 0;
      for (const behind of partitions.values()) sum += behind;
      return sum;
    },
    refresh,
    stop: () => clearInterval(timer),
  };
}
