/**
 * The analytics consumer: reads its share of inventory-events (committed data only) into counts
 * per partition, publishes them, and answers with the global metrics (summaries.ts).
 *
 * Counts live in memory. A partition this instance gains, whether at start or in a rebalance, is
 * read again from its log start, so its counts are exact whatever happened before; meanwhile the
 * partition's latest published summary stands in for it, so the metrics never drop back. Each
 * partition's counts cover exactly the records before `nextOffset`: a fetch that starts past it
 * (the partition was read on elsewhere while this member was away) sends the partition back to
 * its start rather than leave a hole. `POST /replay` on any instance writes a replay request to the
 * summaries topic; every instance, reading it there, counts its partitions again from the start.
 * @module
 */
import { deadLetterHeaders } from "@campus/shared/dead_letter";
import { decodeEvent } from "@campus/shared/events/codec";
import { SCHEMA_BY_TOPIC } from "@campus/shared/events/by_topic";
import type { InventoryEvent } from "@campus/shared/events/inventory";
import type { Logger } from "@campus/shared/log";
import { Restarter } from "@campus/shared/restarter";
import { INVENTORY_EVENTS } from "@campus/shared/topics";
import type {
  AnalyticsKafka,
  AnalyticsMember,
  DeadLetter,
  EventBatch,
  FeedRecord,
} from "./kafka_port.ts";
import { type ConsumerFigures, type Metrics, PartitionAccumulator } from "./metrics.ts";
import {
  BoardRecord,
  isAhead,
  type KnownReplay,
  REPLAY_KEY,
  type ReplayRecord,
  SummaryBoard,
  summaryKey,
  type SummaryRecord,
  type Tally,
} from "./summaries.ts";

export type { ConsumerFigures } from "./metrics.ts";

/** A replay: reading inventory-events again from the start, up to where it ended when asked. */
export interface Replay {
  id: string;
  state: "running" | "done";
  started_at: string;
  finished_at: string | null;
  /** Events to read: the end offsets snapshotted when the replay was asked for, summed. */
  target_events: number;
  events_read: number;
  progress_percent: number;
}

/** Options of {@linkcode AnalyticsConsumer}. */
export interface AnalyticsConsumerOptions {
  /** Kafka, through the few calls the consumer makes (kafka_port.ts). */
  kafka: AnalyticsKafka;
  logger: Logger;
  /** Names this instance in the summaries it publishes. */
  instance: string;
  /** How often counts that moved are published (default 250 ms). */
  publishIntervalMs?: number;
  /** How long a replay request may take to come back from the summaries topic (default 30 s). */
  replayAckTimeoutMs?: number;
  now?: () => Date;
}

/** A partition this instance reads, and what it has counted of it. */
interface PartitionRead {
  counts: PartitionAccumulator;
  generation: number;
  /** The offset after the last record counted; the next fetch must not start past it. */
  nextOffset: bigint;
  /** Invalid records from here on get a dead letter; those before got one from an earlier read. */
  deadLetterFrom: bigint;
  /** Changed since its last publication. */
  dirty: boolean;
  /**
   * Sent back to its start, and no fetch from there seen yet. kafkajs drops a seek whose offset
   * commit fails (a rebalance, a broker going away), so until then the seek is made again.
   */
  seeking: boolean;
}

const SCHEMA = SCHEMA_BY_TOPIC[INVENTORY_EVENTS];

/** Reads inventory-events into metrics, shares them with the other instances, and replays. */
export class AnalyticsConsumer {
  #member: AnalyticsMember | undefined;
  #reads = new Map<number, PartitionRead>();
  #lows = new Map<number, bigint>();
  #board = new SummaryBoard();
  #joined = false;
  #caughtUp = false;
  #publishTimer: ReturnType<typeof setInterval> | undefined;
  #publishing: Promise<void> = Promise.resolve();
  #publishBusy = false;
  #finished = new Map<string, string>();
  #replayWaiters: Array<{ id: string; resolve: () => void }> = [];
  #generationWaiters: Array<{ generation: number; resolve: () => void }> = [];
  #now: () => Date;

  #stopSignal = new AbortController();
  #restarter: Restarter;

  constructor(readonly options: AnalyticsConsumerOptions) {
    this.#now = options.now ?? (() => new Date());
    this.#restarter = new Restarter({
      what: "analytics consumer",
      logger: options.logger,
      signal: this.#stopSignal.signal,
      restart: async () => {
        await this.#member?.disconnect().catch(() => {});
        if (this.#stopSignal.signal.aborted) return;
        await this.#runMember();
      },
    });
  }

  /** In the group, and the summaries of the other instances read up to date. */
  get ready(): boolean {
    return this.#joined && this.#caughtUp;
  }

  /** The partitions this instance reads. */
  get partitions(): number[] {
    return [...this.#reads.keys()].sort((a, b) => a - b);
  }

  /** The global metrics block. */
  metrics(): Metrics {
    return this.#merged().metrics;
  }

  /** Operational figures, over all partitions. */
  figures(): ConsumerFigures {
    return this.#merged().figures;
  }

  /** The latest replay, by whichever instance it was asked, with its progress. */
  replay(): Replay | undefined {
    const known = this.#board.replay;
    if (!known) return undefined;
    return this.#progress(known, this.#merged().tallies);
  }

  /** Reads the summaries topic up to date, then joins the group. */
  async start(): Promise<void> {
    await this.options.kafka.deadLetters.connect();
    for (const end of await this.options.kafka.endOffsets()) {
      this.#lows.set(end.partition, BigInt(end.low));
    }
    // Each step only once it succeeded: a failed start is called again (runService retries).
    if (!this.#caughtUp) {
      try {
        await this.options.kafka.summaries.follow((record) => this.#onFeedRecord(record));
      } catch (error) {
        await this.options.kafka.summaries.stop().catch(() => {});
        throw error;
      }
      this.#caughtUp = true;
      this.#publishTimer = setInterval(() => {
        // One at a time: while Kafka is away a publish retries for long, and ticks must not queue.
        if (!this.#publishBusy) void this.#publish();
      }, this.options.publishIntervalMs ?? 250);
    }
    if (!this.#member) {
      try {
        await this.#runMember();
      } catch (error) {
        // Set by #runMember before it failed (the compiler cannot see that).
        const member = this.#member as AnalyticsMember | undefined;
        this.#member = undefined;
        await member?.disconnect().catch(() => {});
        throw error;
      }
    }
  }

  /**
   * Asks every instance to count inventory-events again from the start. The request goes
   * through the summaries topic, and counts here too only once read back from there, so that all
   * instances take replays in the same order.
   */
  async startReplay(): Promise<Replay> {
    const { kafka } = this.options;
    const ends = await kafka.endOffsets();
    const record: ReplayRecord = {
      kind: "replay",
      replay_id: crypto.randomUUID(),
      requested_at: this.#now().toISOString(),
      offsets: ends.map(({ partition, low, high }) => ({ partition, low, high })),
    };
    const [offset] = await kafka.summaries.publish([
      { key: REPLAY_KEY, value: JSON.stringify(record) },
    ]);
    await this.#generationRead(Number(offset));
    const known = this.#board.replay!;
    return this.#progress(known, this.#merged().tallies);
  }

  /**
   * Resolves once the replay `id` has been read up to its snapshot (or a newer one started), or
   * once `signal` aborts (the caller stopped waiting; nothing of it is kept).
   */
  waitForReplay(id: string, signal?: AbortSignal): Promise<void> {
    const replay = this.replay();
    if (!replay || replay.id !== id || replay.state === "done" || signal?.aborted) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const waiter = { id, resolve };
      this.#replayWaiters.push(waiter);
      signal?.addEventListener("abort", () => {
        this.#replayWaiters = this.#replayWaiters.filter((entry) => entry !== waiter);
        resolve();
      }, { once: true });
    });
  }

  /** Requests waiting for a replay: bounded by the requests open at once. */
  get replayWaiters(): number {
    return this.#replayWaiters.length;
  }

  /** Publishes what moved, then leaves the group and stops following the summaries. */
  async stop(): Promise<void> {
    this.#stopSignal.abort();
    await this.#restarter.settled();
    clearInterval(this.#publishTimer);
    await this.#publishing;
    await this.#publish().catch(() => {});
    await this.#member?.disconnect();
    await this.options.kafka.summaries.stop();
    await this.options.kafka.deadLetters.disconnect();
  }

  #merged(): ReturnType<SummaryBoard["merge"]> {
    const local = new Map<number, Tally>();
    for (const [partition, read] of this.#reads) local.set(partition, tallyOf(read));
    return this.#board.merge(local);
  }

  #progress(known: KnownReplay, tallies: ReadonlyMap<number, Tally>): Replay {
    let target = 0;
    let done = 0;
    for (const { partition, low, high } of known.record.offsets) {
      const start = BigInt(low);
      const end = BigInt(high);
      if (end <= start) continue;
      target += Number(end - start);
      const tally = tallies.get(partition);
      const reached = tally && tally.generation === known.generation ? tally.nextOffset : start;
      done += Number((reached < end ? reached : end) - start);
    }
    const finished = done >= target;
    const id = known.record.replay_id;
    if (finished && !this.#finished.has(id)) this.#finished.set(id, this.#now().toISOString());
    return {
      id,
      state: finished ? "done" : "running",
      started_at: known.record.requested_at,
      finished_at: this.#finished.get(id) ?? null,
      target_events: target,
      events_read: done,
      progress_percent: target === 0 ? 100 : Math.floor((done / target) * 10000) / 100,
    };
  }

  /** Answers the replay waiters whose replay is done or was replaced by a newer one. */
  #settleReplayWaiters(): void {
    if (this.#replayWaiters.length === 0) return;
    const replay = this.replay();
    this.#replayWaiters = this.#replayWaiters.filter((waiter) => {
      if (replay && replay.id === waiter.id && replay.state !== "done") return true;
      waiter.resolve();
      return false;
    });
  }

  #generationRead(generation: number): Promise<void> {
    if (this.#board.generation >= generation) return Promise.resolve();
    const timeoutMs = this.options.replayAckTimeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#generationWaiters = this.#generationWaiters.filter((w) => w.resolve !== done);
        reject(new Error(`The replay request was not read back within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#generationWaiters.push({ generation, resolve: done });
    });
  }

  #onFeedRecord(record: FeedRecord): void {
    let parsed: BoardRecord;
    try {
      const text = typeof record.value === "string"
        ? record.value
        : new TextDecoder().decode(record.value ?? new Uint8Array());
      parsed = BoardRecord.parse(JSON.parse(text));
    } catch (error) {
      // Written only by analytics instances; one that is not understood is skipped, not fatal.
      this.options.logger.warn("skipping an unreadable record of the summaries topic", {
        offset: record.offset,
        error,
      });
      return;
    }
    const replay = this.#board.take(parsed, BigInt(record.offset));
    if (replay) this.#beginGeneration(replay);
    this.#generationWaiters = this.#generationWaiters.filter((waiter) => {
      if (waiter.generation > this.#board.generation) return true;
      waiter.resolve();
      return false;
    });
    this.#settleReplayWaiters();
  }

  /** A replay was asked for: count every partition read here again from its start. */
  #beginGeneration(replay: KnownReplay): void {
    for (const { partition, low } of replay.record.offsets) {
      this.#lows.set(partition, BigInt(low));
    }
    // Replays long past are read at every start: only one asked for now is news.
    (this.#caughtUp ? this.options.logger.info : this.options.logger.debug)("replay started", {
      replay_id: replay.record.replay_id,
      partitions: this.partitions,
    });
    for (const [partition, read] of [...this.#reads]) {
      this.#readFromStart(
        partition,
        read.nextOffset > read.deadLetterFrom ? read.nextOffset : read.deadLetterFrom,
      );
    }
  }

  /** Starts counting `partition` afresh from its log start (the member seeks there). */
  #readFromStart(partition: number, deadLetterFrom: bigint): void {
    this.#retire(partition);
    const low = this.#lows.get(partition) ?? 0n;
    this.#reads.set(partition, {
      counts: new PartitionAccumulator(),
      generation: this.#board.generation,
      nextOffset: low,
      deadLetterFrom: deadLetterFrom > low ? deadLetterFrom : low,
      dirty: true,
      seeking: true,
    });
    this.#seek(partition);
  }

  /** Asks the member to fetch `partition` from the start of this instance's counts. */
  #seek(partition: number): void {
    const read = this.#reads.get(partition);
    if (!read) return;
    try {
      this.#member?.seek(partition, String(read.nextOffset));
    } catch (error) {
      // Not running (between a crash and its restart): the next join reads it from the start.
      this.options.logger.debug("cannot seek yet", { partition, error });
    }
  }

  /** Stops holding `partition`'s counts here; they stand in until its new read passes them. */
  #retire(partition: number): void {
    const read = this.#reads.get(partition);
    if (!read) return;
    this.#board.offer(partition, tallyOf(read));
    this.#reads.delete(partition);
  }

  /** A new member of the group, counting what it is assigned from the start. */
  async #runMember(): Promise<void> {
    const { logger } = this.options;
    const member = this.options.kafka.member();
    member.onJoin((partitions) => {
      if (member !== this.#member) return;
      this.#joined = true;
      this.#restarter.healthy();
      this.#onAssignment(partitions);
    });
    member.onSkipped((partition, first, last) => {
      if (member === this.#member) this.#onSkipped(partition, BigInt(first), BigInt(last));
    });
    member.onCrash((error, restartedByClient) => {
      if (member !== this.#member) return;
      this.#joined = false;
      // Out of the group, this member reads nothing: another may take its partitions meanwhile,
      // and whatever it is assigned after rejoining is read afresh.
      for (const partition of [...this.#reads.keys()]) this.#retire(partition);
      // kafkajs restarts by itself only after retriable errors; after any other this consumer
      // would stay stopped. A crash kafkajs restarts itself is a retriable condition: info.
      (restartedByClient ? logger.info : logger.error)("consumer crashed", {
        error,
        restarted_by: restartedByClient ? "kafkajs" : "this service",
      });
      if (!restartedByClient) this.#restarter.request(error);
    });
    this.#member = member;
    await member.run((batch) => this.#consume(batch));
  }

  #onAssignment(partitions: number[]): void {
    const assigned = new Set(partitions);
    for (const partition of this.#reads.keys()) {
      if (!assigned.has(partition)) this.#retire(partition);
    }
    const gained = partitions.filter((partition) => !this.#reads.has(partition));
    for (const partition of gained) {
      // Records below the furthest published position were read, and dead-lettered, before.
      this.#readFromStart(partition, this.#board.furthest(partition));
    }
    for (const partition of partitions) {
      if (!gained.includes(partition) && this.#reads.get(partition)?.seeking) this.#seek(partition);
    }
    this.options.logger.info("partitions assigned", { partitions, reading_from_start: gained });
  }

  async #consume(batch: EventBatch): Promise<void> {
    const read = this.#reads.get(batch.partition);
    if (!read || batch.isStale()) return;
    const fetched = BigInt(batch.fetchedOffset);
    if (fetched > read.nextOffset && read.seeking) {
      // Not stale, so no seek is pending: the one asked for was dropped. Ask again.
      this.#seek(batch.partition);
      return;
    }
    if (fetched > read.nextOffset) {
      // A hole: the partition was read on elsewhere while this member was away. Counting on
      // from here would leave the records in between out.
      this.options.logger.info("position moved past what was counted; reading from the start", {
        partition: batch.partition,
        counted_up_to: String(read.nextOffset),
        fetched_from: batch.fetchedOffset,
      });
      this.#readFromStart(batch.partition, fetched);
      return;
    }
    const decided: InventoryEvent[] = [];
    let invalid = 0;
    const letters: DeadLetter[] = [];
    for (const message of batch.messages) {
      const offset = BigInt(message.offset);
      if (offset < read.nextOffset) continue; // counted already
      const decoded = decodeEvent(SCHEMA, message.value);
      if (decoded.ok) {
        decided.push(decoded.event);
        continue;
      }
      invalid++;
      if (offset < read.deadLetterFrom) continue;
      letters.push({
        key: message.key,
        value: message.value,
        headers: deadLetterHeaders({
          reason: decoded.reason,
          detail: decoded.detail,
          topic: INVENTORY_EVENTS,
          partition: batch.partition,
          offset: message.offset,
          failedAt: this.#now().toISOString(),
        }),
      });
    }
    // Dead letters are written before the records count as read: at least once.
    if (letters.length > 0) await this.options.kafka.deadLetters.send(letters);
    const next = BigInt(batch.lastOffset) + 1n;
    // A replay or rebalance meanwhile replaced this read: these records belong to no count now,
    // but their dead letters are written.
    const current = this.#reads.get(batch.partition);
    if (current !== read) {
      if (current && current.deadLetterFrom < next) current.deadLetterFrom = next;
      return;
    }
    read.seeking = false;
    for (const event of decided) read.counts.add(event);
    for (let i = 0; i < invalid; i++) read.counts.addInvalid();
    if (next > read.nextOffset) read.nextOffset = next;
    if (read.deadLetterFrom < read.nextOffset) read.deadLetterFrom = read.nextOffset;
    read.dirty = true;
    this.#settleReplayWaiters();
  }

  /** A fetch of only aborted records and markers: move past it if it starts where counts end. */
  #onSkipped(partition: number, first: bigint, last: bigint): void {
    const read = this.#reads.get(partition);
    if (!read) return;
    if (first > read.nextOffset) {
      // Fetched before a seek still pending (no way to tell here), or a hole: seek (again).
      if (read.seeking) this.#seek(partition);
      else this.#readFromStart(partition, first);
      return;
    }
    read.seeking = false;
    if (last + 1n <= read.nextOffset) return;
    read.nextOffset = last + 1n;
    read.dirty = true;
    this.#settleReplayWaiters();
  }

  /** Publishes the counts that moved and are ahead of what the topic has; one at a time. */
  #publish(): Promise<void> {
    this.#publishBusy = true;
    this.#publishing = this.#publishing.then(async () => {
      const due: Array<[PartitionRead, SummaryRecord]> = [];
      for (const [partition, read] of this.#reads) {
        if (!read.dirty) continue;
        const tally = tallyOf(read);
        if (!isAhead(tally, this.#board.published(partition))) {
          read.dirty = false;
          continue;
        }
        due.push([read, {
          kind: "summary",
          partition,
          generation: tally.generation,
          next_offset: String(tally.nextOffset),
          counts: tally.counts,
          instance: this.options.instance,
          published_at: this.#now().toISOString(),
        }]);
      }
      if (due.length === 0) return;
      for (const [read] of due) read.dirty = false;
      try {
        await this.options.kafka.summaries.publish(
          due.map(([, record]) => ({
            key: summaryKey(record.partition),
            value: JSON.stringify(record),
          })),
        );
      } catch (error) {
        for (const [read] of due) read.dirty = true;
        this.options.logger.debug("cannot publish partition summaries yet", { error });
      }
    }).finally(() => this.#publishBusy = false);
    return this.#publishing;
  }
}

function tallyOf(read: PartitionRead): Tally {
  return { generation: read.generation, nextOffset: read.nextOffset, counts: read.counts.counts() };
}
