/**
 * The inventory processor driven by a fake Kafka (kafka_port.ts's interfaces): joins, batches,
 * commits that fail, fencing, rebalances and crashes, precisely and without a broker. The fake
 * keeps what committed transactions wrote, and its restore rebuilds state from exactly that, as
 * the real changelogs would.
 */
import assert from "node:assert/strict";
import { encodeEvent } from "@campus/shared/events/codec";
import { OrderPlaced } from "@campus/shared/events/order_placed";
import { createLogger } from "@campus/shared/log";
import { INVENTORY_CHANGELOG, INVENTORY_DECIDED, INVENTORY_EVENTS } from "@campus/shared/topics";
import type {
  FetchedBatch,
  FetchedMessage,
  GroupMember,
  InventoryKafka,
  PartitionProducer,
  PartitionTransaction,
} from "./kafka_port.ts";
import {
  applyDecidedRecord,
  applyStockRecord,
  initialState,
  type PartitionState,
} from "./partition_state.ts";
import { InventoryProcessor } from "./processor.ts";
import { DecidedChunk, fenceRecords, StockLevel } from "./records.ts";

const MENU = new Map([["pizza", 3], ["soup", 2]]);
// pizza lives on partition 0, soup on partition 1.
const partitionFor = (item: string) => item === "pizza" ? 0 : 1;
const quiet = createLogger({ service: "test", write: () => {} });

/** A committed or aborted transaction, as the fake broker saw it. */
interface SeenTransaction {
  partition: number;
  records: { topic: string; value: string }[];
  /** The topics of each request, in order. */
  requests: string[][];
  offsets: { partition: number; offset: string }[];
  outcome: "committed" | "aborted" | "open";
}

/** A fake Kafka: one group member at a time, per-partition producers that can be made to fail. */
class FakeKafka implements InventoryKafka {
  transactions: SeenTransaction[] = [];
  members: FakeMember[] = [];
  restores: number[][] = [];
  /** Partitions whose next commit throws (once each), as a fenced producer's would. */
  failNextCommit = new Set<number>();

  member(): GroupMember {
    const member = new FakeMember();
    this.members.push(member);
    return member;
  }

  producer(partition: number): PartitionProducer {
    return {
      connect: () => Promise.resolve(),
      disconnect: () => Promise.resolve(),
      transaction: () => Promise.resolve(this.#transaction(partition)),
      fence: async () => {
        const fence = this.#transaction(partition);
        await fence.sendBatch({ topicMessages: fenceRecords(partition), acks: -1 });
        await fence.abort();
      },
    };
  }

  restore(partitions: readonly number[]): Promise<Map<number, PartitionState>> {
    this.restores.push([...partitions]);
    const states = new Map<number, PartitionState>();
    for (const partition of partitions) {
      const state = initialState(partition, { menu: MENU, partitionFor });
      for (const transaction of this.committed(partition)) {
        for (const record of transaction.records) {
          if (record.topic === INVENTORY_CHANGELOG) {
            applyStockRecord(state, StockLevel.parse(JSON.parse(record.value)));
          } else if (record.topic === INVENTORY_DECIDED) {
            applyDecidedRecord(state, DecidedChunk.parse(JSON.parse(record.value)));
          }
        }
      }
      states.set(partition, state);
    }
    return Promise.resolve(states);
  }

  committed(partition: number): SeenTransaction[] {
    return this.transactions.filter((seen) =>
      seen.partition === partition && seen.outcome === "committed"
    );
  }

  /** Result events committed so far, as `order_id: outcome`. */
  results(): string[] {
    return this.transactions.filter((seen) => seen.outcome === "committed").flatMap((seen) =>
      seen.records.filter((record) => record.topic === INVENTORY_EVENTS).map((record) => {
        const event = JSON.parse(record.value);
        return `${event.user_id}:${
          event.event_type === "InventoryReserved" ? "reserved" : event.reason
        }`;
      })
    );
  }

  get current(): FakeMember {
    return this.members.at(-1)!;
  }

  #transaction(partition: number): PartitionTransaction {
    const seen: SeenTransaction = {
      partition,
      records: [],
      requests: [],
      offsets: [],
      outcome: "open",
    };
    this.transactions.push(seen);
    return {
      sendBatch: ({ topicMessages }) => {
        seen.requests.push(topicMessages.map(({ topic }) => topic));
        for (const { topic, messages } of topicMessages) {
          for (const message of messages) {
            seen.records.push({ topic, value: String(message.value) });
          }
        }
        return Promise.resolve();
      },
      sendOffsets: ({ topics }) => {
        seen.offsets.push(...topics.flatMap((topic) => topic.partitions));
        return Promise.resolve();
      },
      commit: () => {
        if (this.failNextCommit.delete(partition)) {
          seen.outcome = "aborted";
          return Promise.reject(new Error("The producer has been fenced by a newer one"));
        }
        seen.outcome = "committed";
        return Promise.resolve();
      },
      abort: () => {
        if (seen.outcome === "open") seen.outcome = "aborted";
        return Promise.resolve();
      },
    };
  }
}

/** A group member whose joins, batches and crashes the test drives. */
class FakeMember implements GroupMember {
  #join: (partitions: number[]) => void = () => {};
  #crash: (error: unknown, restartedByClient: boolean) => void = () => {};
  #eachBatch: ((batch: FetchedBatch) => Promise<void>) | undefined;
  running = false;
  disconnected = false;
  resolved: string[] = [];

  onJoin(listener: (partitions: number[]) => void): void {
    this.#join = listener;
  }
  onCrash(listener: (error: unknown, restartedByClient: boolean) => void): void {
    this.#crash = listener;
  }
  onStop(): void {}
  run(eachBatch: (batch: FetchedBatch) => Promise<void>): Promise<void> {
    this.#eachBatch = eachBatch;
    this.running = true;
    return Promise.resolve();
  }
  disconnect(): Promise<void> {
    this.running = false;
    this.disconnected = true;
    return Promise.resolve();
  }

  join(partitions: number[]): void {
    this.#join(partitions);
  }
  crash(error: Error, restartedByClient = false): void {
    this.running = false;
    this.#crash(error, restartedByClient);
  }
  /** Hands a batch to the processor; resolves with whether its handler threw. */
  async deliver(partition: number, messages: FetchedMessage[]): Promise<unknown> {
    try {
      await this.#eachBatch!({
        partition,
        messages,
        resolveOffset: (offset) => void this.resolved.push(`${partition}:${offset}`),
        heartbeat: () => Promise.resolve(),
        isRunning: () => this.running,
        isStale: () => false,
      });
      return undefined;
    } catch (error) {
      return error;
    }
  }
}

let offset = 0;
function order(user: string, item: string, quantity = 1): FetchedMessage {
  const placed: OrderPlaced = {
    event_id: crypto.randomUUID(),
    event_type: "OrderPlaced",
    schema_version: 1,
    occurred_at: "2026-11-27T08:00:00.000Z",
    order_id: crypto.randomUUID(),
    user_id: user,
    item,
    quantity,
  };
  return { offset: String(offset++), key: item, value: encodeEvent(OrderPlaced, placed) };
}

async function until(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 3_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function started(kafka = new FakeKafka()) {
  const processor = new InventoryProcessor({
    kafka,
    logger: quiet,
    menu: MENU,
    partitionFor,
    delaySeconds: () => 0,
  });
  await processor.start();
  return { kafka, processor };
}

Deno.test("InventoryProcessor restores its partitions on joining and is ready only then", async () => {
  const { kafka, processor } = await started();
  assert.equal(processor.ready, false);
  kafka.current.join([0, 1]);
  await until("ready", () => processor.ready);
  assert.deepEqual(kafka.restores, [[0, 1]]);
  assert.deepEqual(processor.stock(), { pizza: 3, soup: 2 });
  await processor.stop();
});

Deno.test("InventoryProcessor commits decisions, stock and offsets in one transaction per chunk", async () => {
  const { kafka, processor } = await started();
  kafka.current.join([0, 1]);
  await until("ready", () => processor.ready);
  const messages = [order("a", "pizza", 2), order("b", "pizza", 2), order("c", "pizza", 1)];
  assert.equal(await kafka.current.deliver(0, messages), undefined);
  assert.deepEqual(kafka.results(), ["a:reserved", "b:out_of_stock", "c:reserved"]);
  const [transaction] = kafka.committed(0);
  assert.deepEqual(transaction?.offsets, [{
    partition: 0,
    offset: String(Number(messages[2]!.offset) + 1),
  }]);
  assert.deepEqual(kafka.current.resolved, [`0:${messages[2]!.offset}`]);
  assert.deepEqual(processor.stock(), { pizza: 0, soup: 2 });
  // One topic per request: kafkajs re-sends, as new records, what one broker of a multi-broker
  // request took when another failed (a chunk written twice in one transaction).
  assert.ok(transaction!.requests.length >= 3);
  for (const topics of transaction!.requests) assert.equal(topics.length, 1);
  await processor.stop();
});

Deno.test("InventoryProcessor after a failed (fenced) commit restores before deciding again", async () => {
  const { kafka, processor } = await started();
  kafka.current.join([0, 1]);
  await until("ready", () => processor.ready);
  assert.equal(await kafka.current.deliver(0, [order("a", "pizza", 2)]), undefined);
  kafka.failNextCommit.add(0);
  const lost = order("b", "pizza", 1);
  const failure = await kafka.current.deliver(0, [lost]);
  assert.match(String(failure), /fenced/, "the batch fails, so kafkajs fetches it again");
  assert.equal(processor.ready, false, "the partition's state is gone until restored");
  // Delivered again, as kafkajs does after a failed batch: restored from what committed.
  assert.equal(await kafka.current.deliver(0, [lost]), undefined);
  assert.deepEqual(kafka.restores, [[0, 1], [0]]);
  assert.deepEqual(kafka.results(), ["a:reserved", "b:reserved"]);
  assert.deepEqual(processor.stock(), { pizza: 0, soup: 2 }, "3 - 2 - 1, nothing counted twice");
  await processor.stop();
});

Deno.test("InventoryProcessor on a rebalance drops the partitions it lost and restores those it gained", async () => {
  const { kafka, processor } = await started();
  kafka.current.join([0]);
  await until("ready", () => processor.ready);
  assert.equal(await kafka.current.deliver(0, [order("a", "pizza")]), undefined);
  kafka.current.join([1]);
  await until("ready again", () => processor.ready);
  assert.deepEqual(processor.partitions, [1]);
  assert.deepEqual(processor.stock(), { soup: 2 });
  kafka.current.join([0, 1]); // partition 0 comes back: restored from its changelog, not memory
  await until("ready with both", () => processor.ready && processor.partitions.length === 2);
  assert.deepEqual(kafka.restores, [[0], [1], [0]]);
  assert.deepEqual(processor.stock(), { pizza: 2, soup: 2 });
  await processor.stop();
});

Deno.test("InventoryProcessor restarts a consumer that crashed for good, and owns nothing meanwhile", async () => {
  const { kafka, processor } = await started();
  kafka.current.join([0, 1]);
  await until("ready", () => processor.ready);
  const crashed = kafka.current;
  crashed.crash(new Error("The producer attempted an operation with an old epoch"));
  assert.equal(processor.ready, false);
  assert.deepEqual(processor.partitions, [], "nothing is served from before the crash");
  await until("a new member running", () => kafka.members.length === 2 && kafka.current.running);
  assert.equal(crashed.disconnected, true);
  kafka.current.join([0, 1]);
  await until("ready after the restart", () => processor.ready);
  assert.deepEqual(kafka.restores, [[0, 1], [0, 1]]);
  await processor.stop();
});

Deno.test("InventoryProcessor leaves a crash the client restarts itself to the client", async () => {
  const { kafka, processor } = await started();
  kafka.current.join([0]);
  await until("ready", () => processor.ready);
  kafka.current.crash(new Error("The coordinator is loading"), true);
  await new Promise((resolve) => setTimeout(resolve, 700)); // past the restarter's first delay
  assert.equal(kafka.members.length, 1, "no second member");
  await processor.stop();
});
