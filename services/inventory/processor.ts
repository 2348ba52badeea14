/**
 * The inventory consumer: order-events in, decisions out, exactly once.
 *
 * Each consumed partition has its own transactional producer (transactional.id names the
 * partition), so a new owner of a partition fences the old one and aborts its open transaction.
 * For every chunk of a batch, the results, the stock levels, the decided order ids, the dead
 * letters and the consumed offsets commit in one transaction; the in-memory state is updated only
 * after the commit, and after any failed transaction the partition's state is restored again from
 * the changelogs before it decides anything else.
 * @module
 */
import type { Logger } from "@campus/shared/log";
import { Restarter } from "@campus/shared/restarter";
import { sleep } from "@campus/shared/timing";
import { DECIDED_RETENTION_MS, INVENTORY_GROUP, ORDER_EVENTS } from "@campus/shared/topics";
import { chunkRecords } from "./records.ts";
import type { Outcome } from "./decide.ts";
import { PendingChunk } from "./pending_chunk.ts";
import { applyChunk, forgetDecidedBefore, type PartitionState } from "./partition_state.ts";
import type {
  FetchedBatch,
  FetchedMessage,
  GroupMember,
  InventoryKafka,
  PartitionProducer,
} from "./kafka_port.ts";
import { waitProcessingDelay } from "./throttle.ts";

/**
 * Bounds of one transaction. Large, since each commit costs several round trips, but a chunk's
 * results go to one partition as one record batch, which must stay under the broker's 1 MB
 * message.max.bytes. A result is its order plus under 200 bytes, so the estimate below keeps the
 * batch under 700 KB whatever the orders' sizes.
 */
const MAX_CHUNK_MESSAGES = 2_500;
const MAX_CHUNK_OUTPUT_BYTES = 400_000;
const RESULT_OVERHEAD_BYTES = 200;
/** With a processing delay, commit at least this often, so progress (and lag) shows. */
const MAX_CHUNK_MS = 1_000;

/** What the processor reports as it goes. */
export interface ProcessorEvents {
  onDecided?: (outcomes: readonly Outcome[]) => void;
  onTransaction?: (ok: boolean, messages: number) => void;
  onRebalance?: (partitions: readonly number[]) => void;
}

/** Options of {@linkcode InventoryProcessor}. */
export interface ProcessorOptions extends ProcessorEvents {
  /** Kafka, through the few calls the processor makes (kafka_port.ts). */
  kafka: InventoryKafka;
  logger: Logger;
  menu: ReadonlyMap<string, number>;
  partitionFor: (item: string) => number;
  /** Seconds to spend per message; read for every message, so it can change at runtime. */
  delaySeconds: () => number;
  newId?: () => string;
  now?: () => Date;
}

interface OwnedPartition {
  producer: PartitionProducer;
  state?: PartitionState;
}

/** Consumes order-events and decides each order once. */
export class InventoryProcessor {
  #consumer: GroupMember;
  #owned = new Map<number, OwnedPartition>();
  #assigned: number[] = [];
  #restoring: Promise<void> | undefined;
  #joined = false;
  #stopping = false;
  #newId: () => string;
  #now: () => Date;

  #stopSignal = new AbortController();
  #restarter: Restarter;

  constructor(readonly options: ProcessorOptions) {
    this.#newId = options.newId ?? (() => crypto.randomUUID());
    this.#now = options.now ?? (() => new Date());
    this.#consumer = this.#newConsumer();
    this.#restarter = new Restarter({
      what: "inventory consumer",
      logger: options.logger,
      signal: this.#stopSignal.signal,
      restart: async () => {
        await this.#consumer.disconnect().catch(() => {});
        if (this.#stopping) return;
        this.#consumer = this.#newConsumer();
        await this.start();
      },
    });
  }

  #newConsumer(): GroupMember {
    const member = this.options.kafka.member();
    member.onJoin((partitions) => {
      this.#restarter.healthy();
      this.#onAssignment(partitions);
    });
    member.onCrash((error, restartedByClient) => {
      this.#joined = false;
      // Out of the group, this member owns nothing: another may take its partitions meanwhile.
      // Whatever it is assigned after rejoining is restored afresh, never served stale.
      this.#dropAllPartitions();
      // kafkajs restarts by itself only after retriable errors; anything else (a fenced producer,
      // an expired producer id) would leave this consumer stopped for good.
      // A crash kafkajs restarts itself is a retriable condition (a coordinator still loading,
      // a broker that went away): info. One it leaves stopped is an error.
      const log = restartedByClient ? this.options.logger.info : this.options.logger.error;
      log("consumer crashed", {
        error,
        restarted_by: restartedByClient ? "kafkajs" : "this service",
      });
      if (!restartedByClient && !this.#stopping) this.#restarter.request(error);
    });
    member.onStop(() => this.#joined = false);
    return member;
  }

  /** Joined the group and every assigned partition's state is restored. */
  get ready(): boolean {
    return this.#joined &&
      this.#assigned.every((partition) => this.#owned.get(partition)?.state !== undefined);
  }

  /** Remaining stock of the items of the partitions this instance owns. */
  stock(): Record<string, number> {
    const items: [string, number][] = [];
    for (const partition of this.#assigned) {
      items.push(...(this.#owned.get(partition)?.state?.stock ?? []));
    }
    return Object.fromEntries(items.sort(([a], [b]) => a.localeCompare(b)));
  }

  /** The partitions of order-events this instance owns. */
  get partitions(): readonly number[] {
    return this.#assigned;
  }

  /** Joins the group and starts deciding. */
  async start(): Promise<void> {
    await this.#consumer.run((batch) => this.#processBatch(batch));
  }

  /** Leaves the group and closes every producer. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#stopSignal.abort();
    await this.#restarter.settled();
    await this.#consumer.disconnect();
    await Promise.all([...this.#owned.values()].map((owned) => owned.producer.disconnect()));
    this.#owned.clear();
  }

  #dropAllPartitions(): void {
    this.#assigned = [];
    for (const owned of this.#owned.values()) void owned.producer.disconnect().catch(() => {});
    this.#owned.clear();
  }

  #onAssignment(partitions: number[]): void {
    this.#joined = true;
    this.#assigned = [...partitions].sort((a, b) => a - b);
    for (const [partition, owned] of this.#owned) {
      if (!partitions.includes(partition)) {
        this.#owned.delete(partition);
        void owned.producer.disconnect();
      }
    }
    this.options.logger.info("partitions assigned", {
      topic: ORDER_EVENTS,
      partitions: this.#assigned,
    });
    this.options.onRebalance?.(this.#assigned);
    void this.#restoreAssigned(this.#assigned);
  }

  /**
   * Restores the newly assigned partitions at once, not when their first order arrives, so that
   * `ready` (and `up`'s banner) does not wait for traffic. A failed restore is retried here with
   * backoff; a batch that arrives meanwhile waits for the same restore.
   */
  async #restoreAssigned(assigned: readonly number[]): Promise<void> {
    let delayMs = 250;
    while (!this.#stopping && this.#assigned === assigned) {
      try {
        for (const partition of assigned) await this.#ensureRestored(partition);
        return;
      } catch (error) {
        this.options.logger.info("cannot restore partition state yet, retrying", {
          error,
          retry_in_ms: delayMs,
        });
        await sleep(delayMs);
        delayMs = Math.min(delayMs * 2, 5_000);
      }
    }
  }

  /** Restores every owned partition that has no state yet, in one pass shared by all callers. */
  async #ensureRestored(partition: number): Promise<void> {
    while (this.#assigned.includes(partition) && !this.#owned.get(partition)?.state) {
      this.#restoring ??= this.#restore().finally(() => this.#restoring = undefined);
      await this.#restoring;
    }
  }

  async #restore(): Promise<void> {
    const pending = this.#assigned.filter((partition) => !this.#owned.get(partition)?.state);
    if (pending.length === 0) return;
    // Fence first: a new producer session for each partition's transactional id, and an aborted
    // transaction on every partition it writes, end whatever a previous owner left open, so the
    // restore below reads everything that will ever be committed there.
    for (const partition of pending) {
      const owned = this.#owned.get(partition) ??
        { producer: this.options.kafka.producer(partition) };
      this.#owned.set(partition, owned);
      try {
        await owned.producer.connect();
        await owned.producer.fence();
      } catch (error) {
        // A producer whose fence failed may be stuck mid-abort (kafkajs keeps it ABORTING when
        // the coordinator is away): the retry starts with a new one, as after a failed commit.
        if (this.#owned.get(partition) === owned) this.#owned.delete(partition);
        void owned.producer.disconnect().catch(() => {});
        throw error;
      }
    }
    const restored = await this.options.kafka.restore(
      pending,
      this.#now().getTime() - DECIDED_RETENTION_MS,
    );
    for (const [partition, state] of restored) {
      const owned = this.#owned.get(partition);
      if (owned) owned.state = state;
    }
  }

  async #processBatch(batch: FetchedBatch): Promise<void> {
    const { partition, messages, resolveOffset, heartbeat, isRunning, isStale } = batch;
    await this.#ensureRestored(partition);
    let index = 0;
    while (index < messages.length) {
      if (!isRunning() || isStale() || this.#stopping) return;
      const owned = this.#owned.get(partition);
      if (!owned?.state) return; // lost the partition in a rebalance
      const chunk = await this.#decideChunk(owned.state, messages, index, {
        partition,
        heartbeat,
        isRunning,
        isStale,
      });
      if (chunk.entries.length === 0) return;
      await this.#commit(partition, owned, chunk);
      index += chunk.entries.length;
      resolveOffset(chunk.lastOffset);
      await heartbeat();
    }
  }

  /** Decides messages from `start` until the chunk is full, applying the processing delay. */
  async #decideChunk(
    state: PartitionState,
    messages: readonly FetchedMessage[],
    start: number,
    context: Pick<FetchedBatch, "partition" | "heartbeat" | "isRunning" | "isStale">,
  ): Promise<PendingChunk> {
    const chunk = new PendingChunk(state, {
      partitionFor: this.options.partitionFor,
      newId: this.#newId,
      now: this.#now,
    });
    const startedAt = performance.now();
    let outputBytes = 0;
    for (
      let index = start;
      index < messages.length && chunk.entries.length < MAX_CHUNK_MESSAGES;
      index++
    ) {
      if (this.options.delaySeconds() > 0) {
        if (chunk.entries.length > 0 && performance.now() - startedAt >= MAX_CHUNK_MS) break;
        // In slices with heartbeats: a slow chunk must not get this member out of the group.
        const waited = await waitProcessingDelay({
          delaySeconds: this.options.delaySeconds,
          heartbeat: context.heartbeat,
          shouldStop: () => this.#stopping || !context.isRunning() || context.isStale(),
        });
        if (!waited) break;
      }
      const { offset, key, value } = messages[index]!;
      outputBytes += (value?.length ?? 0) + RESULT_OVERHEAD_BYTES;
      if (chunk.entries.length > 0 && outputBytes > MAX_CHUNK_OUTPUT_BYTES) break;
      chunk.decide({ partition: context.partition, offset, key, value });
    }
    return chunk;
  }

  async #commit(partition: number, owned: OwnedPartition, chunk: PendingChunk): Promise<void> {
    const now = this.#now();
    const topicMessages = chunkRecords(partition, {
      entries: chunk.entries,
      stockChanges: chunk.stockChanges,
      committedAt: now.toISOString(),
    });
    const transaction = await owned.producer.transaction();
    try {
      // One topic (one partition, so one leader) per request. kafkajs sends a batch spanning
      // several leaders as parallel requests, and (as we read its retry) when one fails it can
      // send again, with new sequence numbers, records a broker already took: in a cluster that
      // lost a broker, a chunk was written twice inside one committed transaction.
      for (const records of topicMessages) {
        await transaction.sendBatch({ topicMessages: [records], acks: -1 });
      }
      await transaction.sendOffsets({
        consumerGroupId: INVENTORY_GROUP,
        topics: [{
          topic: ORDER_EVENTS,
          partitions: [{ partition, offset: (BigInt(chunk.lastOffset) + 1n).toString() }],
        }],
      });
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => {});
      // The commit may or may not have happened: only the changelogs know. Restore, with a new
      // producer session, before deciding anything else on this partition.
      if (this.#owned.get(partition) === owned) this.#owned.delete(partition);
      void owned.producer.disconnect().catch(() => {});
      this.options.onTransaction?.(false, chunk.entries.length);
      this.options.logger.warn("transaction failed; partition state will be restored", {
        partition,
        error,
      });
      throw error;
    }
    // Exactly what the changelog records of this chunk say, through the functions the restore
    // uses: a restart rebuilds this very state.
    const state = owned.state!;
    applyChunk(state, chunk.committed(now.getTime()));
    forgetDecidedBefore(state, now.getTime() - DECIDED_RETENTION_MS);
    this.options.onTransaction?.(true, chunk.entries.length);
    this.options.onDecided?.(chunk.entries.map((entry) => entry.outcome));
  }
}
