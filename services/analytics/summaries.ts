/**
 * How several analytics instances agree on global metrics. Each instance reads some partitions of
 * inventory-events (the group splits them) and publishes, per partition, what that partition adds
 * up to so far: a summary, on the compacted topic analytics-partition-summaries, keyed by the
 * partition. Every instance reads that topic whole and adds the latest summary of each partition
 * it does not read itself to its own counts, so any instance answers with the global metrics.
 *
 * A summary counts exactly the records of its partition from the log start up to `next_offset`,
 * in one generation. A generation starts with a replay request on the same topic (its offset
 * there is the generation), so that summaries counted before a replay are not mixed with those
 * counted after. Between two summaries of one partition and generation, the one further along
 * wins, whoever published it: both count a prefix of the same log.
 *
 * Pure: no Kafka in here (kafka_port.ts moves the records).
 * @module
 */
import { z } from "zod";
import {
  type ConsumerFigures,
  mergeCounts,
  type Metrics,
  type PartitionCounts,
} from "./metrics.ts";

const Count = z.number().int().nonnegative();
const ItemCountsRecord = z.strictObject({ total: Count, successful: Count, failed: Count });

const PartitionCountsRecord = z.strictObject({
  successful: Count,
  failed: Count,
  per_minute: z.record(z.string(), Count),
  per_item: z.record(z.string(), ItemCountsRecord),
  failure_reasons: z.record(z.string(), Count),
  first_ms: z.number().int().nullable(),
  last_ms: z.number().int().nullable(),
  events: Count,
  duplicates: Count,
  invalid: Count,
});

const Offset = z.string().regex(/^\d+$/, { error: "must be a decimal offset" });

/** One partition's counts, as published. */
export const SummaryRecord = z.strictObject({
  kind: z.literal("summary"),
  partition: z.number().int().nonnegative(),
  generation: z.number().int().min(-1),
  /** The offset after the last record counted. */
  next_offset: Offset,
  counts: PartitionCountsRecord,
  /** Who published it, for people reading the topic. */
  instance: z.string(),
  published_at: z.iso.datetime(),
});
export type SummaryRecord = z.infer<typeof SummaryRecord>;

/** A replay request: every instance counts its partitions again from the log start. */
export const ReplayRecord = z.strictObject({
  kind: z.literal("replay"),
  replay_id: z.uuid(),
  requested_at: z.iso.datetime(),
  /** Per partition of inventory-events, its log start and end when the replay was asked for. */
  offsets: z.array(
    z.strictObject({ partition: z.number().int().nonnegative(), low: Offset, high: Offset }),
  ),
});
export type ReplayRecord = z.infer<typeof ReplayRecord>;

/** Anything on the summaries topic. */
export const BoardRecord = z.discriminatedUnion("kind", [SummaryRecord, ReplayRecord]);
export type BoardRecord = z.infer<typeof BoardRecord>;

/** The key of a partition's summary: the latest per key survives compaction. */
export function summaryKey(partition: number): string {
  return `partition-${partition}`;
}

/** The key of the replay request: only the latest matters. */
export const REPLAY_KEY = "replay";

/** A partition's counts up to an offset, in a generation: local or published. */
export interface Tally {
  generation: number;
  nextOffset: bigint;
  counts: PartitionCounts;
}

/** Whether `candidate` should replace `current` as the best known tally of a partition. */
export function isAhead(candidate: Tally, current: Tally | undefined): boolean {
  if (!current) return true;
  if (candidate.generation !== current.generation) {
    return candidate.generation > current.generation;
  }
  return candidate.nextOffset > current.nextOffset;
}

/** The latest replay request seen, with the generation it starts. */
export interface KnownReplay {
  generation: number;
  record: ReplayRecord;
}

/**
 * What an instance knows from the summaries topic: the current generation, the latest replay
 * request and the best published tally of each partition. Records arrive in topic order.
 */
export class SummaryBoard {
  #generation = -1;
  #replay: KnownReplay | undefined;
  #published = new Map<number, Tally>();
  #furthest = new Map<number, bigint>();

  /** The current generation: the offset of the latest replay request, -1 before any. */
  get generation(): number {
    return this.#generation;
  }

  get replay(): KnownReplay | undefined {
    return this.#replay;
  }

  /** The best published tally of `partition` in the current generation. */
  published(partition: number): Tally | undefined {
    const tally = this.#published.get(partition);
    return tally?.generation === this.#generation ? tally : undefined;
  }

  /**
   * Takes one record read at `offset`. Returns the replay it starts, if it starts a newer
   * generation: the caller then counts its own partitions again.
   */
  take(record: BoardRecord, offset: bigint): KnownReplay | undefined {
    if (record.kind === "replay") {
      const generation = Number(offset);
      if (generation <= this.#generation) return undefined;
      this.#generation = generation;
      this.#replay = { generation, record };
      return this.#replay;
    }
    this.offer(record.partition, {
      generation: record.generation,
      nextOffset: BigInt(record.next_offset),
      counts: record.counts,
    });
    return undefined;
  }

  /**
   * Keeps `tally` of `partition` as if it had been published: counts this instance stops holding
   * (a partition lost, read again, or a crash) go on standing in until surpassed.
   */
  offer(partition: number, tally: Tally): void {
    if (isAhead(tally, this.#published.get(partition))) this.#published.set(partition, tally);
    if (tally.nextOffset > this.furthest(partition)) {
      this.#furthest.set(partition, tally.nextOffset);
    }
  }

  /** How far any instance has read `partition`, in any generation (0 if unknown). */
  furthest(partition: number): bigint {
    return this.#furthest.get(partition) ?? 0n;
  }

  /**
   * The global metrics: per partition the best of the local tallies (partitions this instance
   * reads) and the published ones, in the current generation.
   */
  merge(local: ReadonlyMap<number, Tally>): {
    metrics: Metrics;
    figures: ConsumerFigures;
    tallies: Map<number, Tally>;
  } {
    const best = new Map<number, Tally>();
    for (const [partition, tally] of this.#published) {
      if (tally.generation === this.#generation) best.set(partition, tally);
    }
    for (const [partition, tally] of local) {
      if (tally.generation === this.#generation && isAhead(tally, best.get(partition))) {
        best.set(partition, tally);
      }
    }
    const ordered = [...best].sort(([a], [b]) => a - b);
    return { ...mergeCounts(ordered.map(([, tally]) => tally.counts)), tallies: best };
  }
}
