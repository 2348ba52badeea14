/**
 * The analytics consumer driven by a fake Kafka (kafka_port.ts's interfaces): partitions read
 * from their start when gained, holes sent back to the start, stale fetches ignored, summaries
 * shared between instances, replays through the summaries topic and their progress, an aborted
 * tail, dead letters, duplicates and crashes, without a broker.
 */
import assert from "node:assert/strict";
import { DLQ_HEADERS, MAX_DETAIL_CHARS } from "@campus/shared/dead_letter";
import { encodeEvent } from "@campus/shared/events/codec";
import { InventoryEvent } from "@campus/shared/events/inventory";
import { createLogger } from "@campus/shared/log";
import { AnalyticsConsumer } from "./consumer.ts";
import type {
  AnalyticsKafka,
  AnalyticsMember,
  DeadLetter,
  EventBatch,
  EventMessage,
  FeedRecord,
  SummaryFeed,
} from "./kafka_port.ts";

const quiet = createLogger({ service: "test", write: () => {} });

class FakeMember implements AnalyticsMember {
  #join: (partitions: number[]) => void = () => {};
  #crash: (error: unknown, restartedByClient: boolean) => void = () => {};
  #skipped: (partition: number, first: string, last: string) => void = () => {};
  #eachBatch: ((batch: EventBatch) => Promise<void>) | undefined;
  /** Where the next fetch of each partition starts (the group's committed offsets at first). */
  positions = new Map<number, bigint>();
  pendingSeeks = new Map<number, bigint>();
  seeks: Array<[number, string]> = [];
  running = false;
  disconnected = false;

  constructor(readonly assignment: number[]) {}

  onJoin(listener: (partitions: number[]) => void): void {
    this.#join = listener;
  }
  onCrash(listener: (error: unknown, restartedByClient: boolean) => void): void {
    this.#crash = listener;
  }
  onSkipped(listener: (partition: number, first: string, last: string) => void): void {
    this.#skipped = listener;
  }
  run(eachBatch: (batch: EventBatch) => Promise<void>): Promise<void> {
    this.#eachBatch = eachBatch;
    this.running = true;
    this.#join(this.assignment);
    return Promise.resolve();
  }
  seek(partition: number, offset: string): void {
    this.seeks.push([partition, offset]);
    this.pendingSeeks.set(partition, BigInt(offset));
  }
  disconnect(): Promise<void> {
    this.running = false;
    this.disconnected = true;
    return Promise.resolve();
  }

  /** A rebalance: the member joins again with `partitions`. */
  rejoin(partitions: number[]): void {
    this.#join(partitions);
  }

  /**
   * The next fetch of `partition`, as kafkajs makes it: a pending seek applies first; the batch
   * starts at the position and covers up to `lastOffset` (default: its last message).
   */
  async fetch(partition: number, messages: EventMessage[], lastOffset?: string): Promise<void> {
    const sought = this.pendingSeeks.get(partition);
    if (sought !== undefined) this.positions.set(partition, sought);
    this.pendingSeeks.delete(partition);
    const fetchedOffset = this.positions.get(partition) ?? 0n;
    const last = lastOffset ?? messages.at(-1)!.offset;
    await this.#eachBatch!({
      partition,
      fetchedOffset: String(fetchedOffset),
      lastOffset: last,
      messages: messages.filter((message) => BigInt(message.offset) >= fetchedOffset),
      isStale: () => this.pendingSeeks.has(partition),
    });
    this.positions.set(partition, BigInt(last) + 1n);
  }

  /** A batch fetched before a seek, handed over after it. */
  async fetchStale(partition: number, messages: EventMessage[]): Promise<void> {
    await this.#eachBatch!({
      partition,
      fetchedOffset: messages[0]!.offset,
      lastOffset: messages.at(-1)!.offset,
      messages,
      isStale: () => true,
    });
  }

  /** A fetch of only aborted records and markers: no eachBatch, only the position moves. */
  skip(partition: number, first: string, last: string): void {
    this.#skipped(partition, first, last);
    this.positions.set(partition, BigInt(last) + 1n);
  }

  crash(error: Error, restartedByClient = false): void {
    this.running = false;
    this.#crash(error, restartedByClient);
  }
}

/** The summaries topic: one partition, shared by every consumer made on the same feed. */
class FakeTopic {
  records: FeedRecord[] = [];
  keys: string[] = [];
  listeners: Array<(record: FeedRecord) => void> = [];

  feed(): SummaryFeed {
    let listener: ((record: FeedRecord) => void) | undefined;
    return {
      follow: (onRecord) => {
        listener = onRecord;
        for (const record of this.records) onRecord(record);
        this.listeners.push(onRecord);
        return Promise.resolve();
      },
      publish: (records) => {
        const offsets = records.map(({ key, value }) => {
          const record = { offset: String(this.records.length), value };
          this.records.push(record);
          this.keys.push(key);
          // Read back a moment later, as from Kafka.
          queueMicrotask(() => {
            for (const listen of this.listeners) listen(record);
          });
          return record.offset;
        });
        return Promise.resolve(offsets);
      },
      stop: () => {
        this.listeners = this.listeners.filter((entry) => entry !== listener);
        return Promise.resolve();
      },
    };
  }

  summaries(): Array<{ partition: number; next_offset: string; instance: string }> {
    return this.records.map((record) => JSON.parse(String(record.value)))
      .filter((record) => record.kind === "summary");
  }
}

class FakeKafka implements AnalyticsKafka {
  members: FakeMember[] = [];
  letters: DeadLetter[] = [];
  summaries: SummaryFeed;
  constructor(
    public ends: { partition: number; low: string; high: string }[],
    public assignment: number[] = ends.map((end) => end.partition),
    topic = new FakeTopic(),
  ) {
    this.summaries = topic.feed();
  }

  member(): AnalyticsMember {
    const member = new FakeMember(this.assignment);
    this.members.push(member);
    return member;
  }
  endOffsets() {
    return Promise.resolve(this.ends);
  }
  deadLetters = {
    connect: () => Promise.resolve(),
    send: (letters: DeadLetter[]) => Promise.resolve(void this.letters.push(...letters)),
    disconnect: () => Promise.resolve(),
  };
  get current(): FakeMember {
    return this.members.at(-1)!;
  }
}

function decision(offset: number, orderId = crypto.randomUUID(), item = "pizza"): EventMessage {
  const event = InventoryEvent.parse({
    event_id: crypto.randomUUID(),
    schema_version: 1,
    occurred_at: "2026-11-27T08:00:01.000Z",
    order_id: orderId,
    user_id: "student",
    item,
    quantity: 1,
    order_placed_at: "2026-11-27T08:00:00.000Z",
    causation_id: crypto.randomUUID(),
    event_type: "InventoryReserved",
    remaining: 1,
  });
  return { offset: String(offset), key: item, value: encodeEvent(InventoryEvent, event) };
}

function decisions(from: number, count: number): EventMessage[] {
  return Array.from({ length: count }, (_, index) => decision(from + index));
}

async function until(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 3_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

function consumer(kafka: FakeKafka, instance = "a"): AnalyticsConsumer {
  return new AnalyticsConsumer({ kafka, logger: quiet, instance, publishIntervalMs: 5 });
}

/** Two started instances sharing one summaries topic; a owns `ownedByA`, b the others. */
async function twoInstances(partitions: number, high: string, ownedByA: number[]) {
  const ends = Array.from(
    { length: partitions },
    (_, partition) => ({ partition, low: "0", high }),
  );
  const topic = new FakeTopic();
  const all = ends.map((end) => end.partition);
  const kafkaA = new FakeKafka(ends, ownedByA, topic);
  const kafkaB = new FakeKafka(
    ends,
    all.filter((partition) => !ownedByA.includes(partition)),
    topic,
  );
  const a = consumer(kafkaA, "a");
  const b = consumer(kafkaB, "b");
  await a.start();
  await b.start();
  return { topic, kafkaA, kafkaB, a, b };
}

Deno.test("a gained partition is read from its log start, whatever the group had committed", async () => {
  const kafka = new FakeKafka([{ partition: 0, low: "2", high: "5" }]);
  const analytics = consumer(kafka);
  await analytics.start();
  assert.equal(analytics.ready, true);
  assert.deepEqual(kafka.current.seeks, [[0, "2"]]);
  kafka.current.positions.set(0, 4n); // the committed offset, overridden by the seek
  await kafka.current.fetch(0, decisions(2, 3));
  assert.equal(analytics.metrics().total_orders, 3);
  await analytics.stop();
});

Deno.test("a fetch that starts past the counts (a hole) sends the partition back to its start", async () => {
  const kafka = new FakeKafka([{ partition: 0, low: "0", high: "10" }]);
  const analytics = consumer(kafka);
  await analytics.start();
  const events = decisions(0, 10);
  await kafka.current.fetch(0, events.slice(0, 4));
  // Away for a while: another member read on, and the position now is 8.
  kafka.current.positions.set(0, 8n);
  await kafka.current.fetch(0, events.slice(8));
  assert.equal(analytics.metrics().total_orders, 4, "offsets 8-9 are not counted after a hole");
  assert.deepEqual(kafka.current.seeks.at(-1), [0, "0"]);
  await kafka.current.fetch(0, events);
  assert.equal(analytics.metrics().total_orders, 10);
  assert.equal(analytics.figures().events_consumed, 10);
  await analytics.stop();
});

Deno.test("records fetched before a seek, or counted already, are not counted", async () => {
  const kafka = new FakeKafka([{ partition: 0, low: "0", high: "6" }]);
  const analytics = consumer(kafka);
  await analytics.start();
  const events = decisions(0, 6);
  await kafka.current.fetchStale(0, events.slice(3)); // from before the seek to the start
  assert.equal(analytics.metrics().total_orders, 0);
  await kafka.current.fetch(0, events.slice(0, 4));
  kafka.current.positions.set(0, 2n); // fetched again from a lower committed offset: overlap
  await kafka.current.fetch(0, events);
  assert.equal(analytics.metrics().total_orders, 6);
  assert.equal(analytics.figures().events_consumed, 6);
  await analytics.stop();
});

Deno.test("two instances each read half the partitions and both answer the global metrics", async () => {
  const { topic, kafkaA, kafkaB, a, b } = await twoInstances(4, "3", [0, 2]);
  for (const partition of [0, 2]) await kafkaA.current.fetch(partition, decisions(0, 3));
  for (const partition of [1, 3]) await kafkaB.current.fetch(partition, decisions(0, 2));
  await until(
    "both to see 10 orders",
    () => a.metrics().total_orders === 10 && b.metrics().total_orders === 10,
  );
  assert.equal(JSON.stringify(a.metrics()), JSON.stringify(b.metrics()));
  assert.deepEqual(a.figures(), b.figures());
  assert.deepEqual(a.partitions, [0, 2]);
  const published = new Set(topic.summaries().map((summary) => summary.instance));
  assert.deepEqual([...published].sort(), ["a", "b"]);
  await a.stop();
  await b.stop();
});

Deno.test("a partition gained in a rebalance keeps its published counts while read again", async () => {
  const { kafkaA, kafkaB, a, b } = await twoInstances(2, "4", [0]);
  const partition1 = decisions(0, 4);
  await kafkaA.current.fetch(0, decisions(0, 4));
  await kafkaB.current.fetch(1, partition1);
  await until("a to see b's counts", () => a.metrics().total_orders === 8);
  await b.stop(); // b leaves; a takes partition 1 over and reads it from the start
  kafkaA.current.rejoin([0, 1]);
  assert.deepEqual(kafkaA.current.seeks.at(-1), [1, "0"]);
  assert.equal(a.metrics().total_orders, 8, "b's published counts stand in meanwhile");
  await kafkaA.current.fetch(1, partition1.slice(0, 2));
  assert.equal(a.metrics().total_orders, 8, "never below what was published");
  await kafkaA.current.fetch(1, partition1.slice(2));
  assert.equal(a.metrics().total_orders, 8);
  assert.equal(a.figures().events_consumed, 8);
  await a.stop();
});

Deno.test("a replay asked of one instance makes every instance count again, with identical results", async () => {
  const { kafkaA, kafkaB, a, b } = await twoInstances(2, "3", [0]);
  const logs = [decisions(0, 3), decisions(0, 3)];
  await kafkaA.current.fetch(0, logs[0]!);
  await kafkaB.current.fetch(1, logs[1]!);
  await until(
    "6 orders on both",
    () => a.metrics().total_orders === 6 && b.metrics().total_orders === 6,
  );
  const before = JSON.stringify(a.metrics());

  const replay = await a.startReplay();
  assert.equal(replay.state, "running");
  assert.equal(replay.target_events, 6);
  assert.deepEqual(kafkaB.current.seeks.at(-1), [1, "0"], "b heard it through the topic");
  assert.equal(a.metrics().total_orders, 0, "counts start over");
  const done = a.waitForReplay(replay.id);
  await kafkaA.current.fetch(0, logs[0]!);
  await kafkaB.current.fetch(1, logs[1]!);
  await done;
  await until("b's counts to reach a", () => a.metrics().total_orders === 6);
  assert.equal(JSON.stringify(a.metrics()), before);
  assert.equal(JSON.stringify(b.metrics()), before);
  assert.equal(a.replay()?.progress_percent, 100);
  assert.equal(b.replay()?.id, replay.id, "b reports the same replay");
  await a.stop();
  await b.stop();
});

Deno.test("a replay finishes when its partition ends in an aborted transaction", async () => {
  // 2 events, then an aborted transaction of 3 records and its marker: the end is offset 6.
  const kafka = new FakeKafka([{ partition: 0, low: "0", high: "6" }]);
  const analytics = consumer(kafka);
  await analytics.start();
  const replay = await analytics.startReplay();
  await kafka.current.fetch(0, decisions(0, 2));
  assert.equal(analytics.replay()?.state, "running");
  kafka.current.skip(0, "2", "5");
  assert.equal(analytics.replay()?.state, "done");
  await analytics.waitForReplay(replay.id);
  await analytics.stop();
});

Deno.test("a repeat counts once; garbage is dead-lettered once, with bounded headers, not again on replay", async () => {
  const kafka = new FakeKafka([{ partition: 1, low: "0", high: "3" }]);
  const analytics = consumer(kafka);
  await analytics.start();
  const repeated = decision(0);
  const garbage = {
    offset: "2",
    key: "pizza",
    value: JSON.stringify(Object.fromEntries(
      Array.from({ length: 5_000 }, (_, index) => [`field_${index}`, index]),
    )),
  };
  const log = [repeated, { ...repeated, offset: "1" }, garbage];
  await kafka.current.fetch(1, log);
  assert.equal(analytics.metrics().total_orders, 1);
  assert.deepEqual(analytics.figures(), {
    events_consumed: 3,
    duplicates_ignored: 1,
    invalid_events: 1,
  });
  const [letter] = kafka.letters;
  assert.equal(letter?.value, garbage.value, "the original bytes");
  assert.equal(letter?.headers[DLQ_HEADERS.reason], "schema_mismatch");
  assert.equal(letter?.headers[DLQ_HEADERS.partition], "1");
  assert.ok((letter?.headers[DLQ_HEADERS.detail] ?? "").length <= MAX_DETAIL_CHARS);

  const replay = await analytics.startReplay();
  await kafka.current.fetch(1, log);
  await analytics.waitForReplay(replay.id);
  assert.equal(analytics.figures().invalid_events, 1);
  assert.equal(kafka.letters.length, 1, "read again, but dead-lettered once");
  await analytics.stop();
});

Deno.test("a member that crashed for good is replaced and reads its partitions from the start", async () => {
  const kafka = new FakeKafka([{ partition: 0, low: "0", high: "1" }]);
  const analytics = consumer(kafka);
  await analytics.start();
  const event = decision(0);
  await kafka.current.fetch(0, [event]);
  await until("the counts published", () => analytics.metrics().total_orders === 1);
  const crashed = kafka.current;
  crashed.crash(new Error("a non-retriable error"));
  assert.equal(analytics.ready, false);
  assert.equal(analytics.metrics().total_orders, 1, "the published counts stand in");
  await until("a new member running", () => kafka.members.length === 2 && kafka.current.running);
  assert.equal(crashed.disconnected, true);
  assert.equal(analytics.ready, true);
  assert.deepEqual(kafka.current.seeks, [[0, "0"]]);
  await kafka.current.fetch(0, [event]);
  assert.equal(analytics.metrics().total_orders, 1);
  await analytics.stop();
});

Deno.test("an unreadable record on the summaries topic is skipped", async () => {
  const topic = new FakeTopic();
  topic.records.push({ offset: "0", value: "not json" }, {
    offset: "1",
    value: JSON.stringify({ kind: "summary", partition: -1 }),
  });
  const kafka = new FakeKafka([{ partition: 0, low: "0", high: "1" }], [0], topic);
  const analytics = consumer(kafka);
  await analytics.start();
  await kafka.current.fetch(0, [decision(0)]);
  assert.equal(analytics.metrics().total_orders, 1);
  await analytics.stop();
});

Deno.test("a seek kafkajs dropped (its commit failed) is made again, and nothing is skipped", async () => {
  const kafka = new FakeKafka([{ partition: 0, low: "0", high: "6" }]);
  const analytics = consumer(kafka);
  await analytics.start();
  const member = kafka.current;
  member.pendingSeeks.clear(); // dropped: the next fetch starts at the committed offset
  member.positions.set(0, 4n);
  const events = decisions(0, 6);
  await member.fetch(0, events.slice(4));
  assert.equal(analytics.metrics().total_orders, 0);
  assert.deepEqual(member.seeks, [[0, "0"], [0, "0"]], "asked again");
  await member.fetch(0, events);
  assert.equal(analytics.metrics().total_orders, 6);
  await analytics.stop();
});

Deno.test("after a replay and a rebalance, invalid records already dead-lettered are not again", async () => {
  const { kafkaA, kafkaB, a, b } = await twoInstances(2, "2", [0]);
  const log = [decision(0), { offset: "1", key: "pizza", value: "not json" }];
  await kafkaB.current.fetch(1, log);
  assert.equal(kafkaB.letters.length, 1);
  const replay = await a.startReplay();
  await kafkaA.current.fetch(0, decisions(0, 2));
  await kafkaB.current.fetch(1, log);
  await a.waitForReplay(replay.id);
  assert.equal(kafkaB.letters.length, 1, "not again on the replay");
  await b.stop(); // a takes partition 1 over and reads it again
  kafkaA.current.rejoin([0, 1]);
  await kafkaA.current.fetch(1, log);
  assert.equal(kafkaA.letters.length, 0, "not again by the new owner");
  assert.equal(a.figures().invalid_events, 1);
  await a.stop();
});

Deno.test("a start that failed to read the summaries is retried from the start", async () => {
  const kafka = new FakeKafka([{ partition: 0, low: "0", high: "1" }]);
  const follow = kafka.summaries.follow;
  let failures = 1;
  kafka.summaries.follow = (onRecord) =>
    failures-- > 0 ? Promise.reject(new Error("broker not there yet")) : follow(onRecord);
  const analytics = consumer(kafka);
  await assert.rejects(analytics.start(), /broker not there yet/);
  assert.equal(analytics.ready, false);
  await analytics.start();
  assert.equal(analytics.ready, true);
  assert.equal(kafka.members.length, 1);
  await analytics.stop();
});

Deno.test("a request that stops waiting for a replay leaves no waiter behind", async () => {
  const kafka = new FakeKafka([{ partition: 0, low: "0", high: "3" }]);
  const analytics = consumer(kafka);
  await analytics.start();
  const replay = await analytics.startReplay();
  const gaveUp = new AbortController();
  const waiting = analytics.waitForReplay(replay.id, gaveUp.signal);
  assert.equal(analytics.replayWaiters, 1);
  gaveUp.abort();
  await waiting;
  assert.equal(analytics.replayWaiters, 0);
  assert.equal(analytics.replay()?.state, "running");
  await analytics.stop();
});
