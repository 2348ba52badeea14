/**
 * The analytics consumer driven by a fake Kafka (kafka_port.ts's interfaces): replays and their
 * progress, a partition that ends in an aborted transaction, dead letters, duplicates and crashes,
 * without a broker.
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
} from "./kafka_port.ts";

const quiet = createLogger({ service: "test", write: () => {} });

class FakeMember implements AnalyticsMember {
  #join: () => void = () => {};
  #crash: (error: unknown, restartedByClient: boolean) => void = () => {};
  #processed: (partition: number, lastOffset: string) => void = () => {};
  #eachBatch: ((batch: EventBatch) => Promise<void>) | undefined;
  running = false;
  disconnected = false;

  onJoin(listener: () => void): void {
    this.#join = listener;
  }
  onCrash(listener: (error: unknown, restartedByClient: boolean) => void): void {
    this.#crash = listener;
  }
  onProcessed(listener: (partition: number, lastOffset: string) => void): void {
    this.#processed = listener;
  }
  run(eachBatch: (batch: EventBatch) => Promise<void>): Promise<void> {
    this.#eachBatch = eachBatch;
    this.running = true;
    this.#join();
    return Promise.resolve();
  }
  disconnect(): Promise<void> {
    this.running = false;
    this.disconnected = true;
    return Promise.resolve();
  }

  /** A batch as kafkajs hands it over: eachBatch, then the batch-processed event. */
  async deliver(partition: number, messages: EventMessage[]): Promise<void> {
    await this.#eachBatch!({ partition, messages });
    this.#processed(partition, messages.at(-1)!.offset);
  }
  /** A fetch of only aborted records and markers: no eachBatch, only the position. */
  skipTo(partition: number, lastOffset: string): void {
    this.#processed(partition, lastOffset);
  }
  crash(error: Error, restartedByClient = false): void {
    this.running = false;
    this.#crash(error, restartedByClient);
  }
}

class FakeKafka implements AnalyticsKafka {
  members: FakeMember[] = [];
  resets = 0;
  letters: DeadLetter[] = [];
  constructor(public ends: { partition: number; low: string; high: string }[]) {}

  member(): AnalyticsMember {
    const member = new FakeMember();
    this.members.push(member);
    return member;
  }
  endOffsets() {
    return Promise.resolve(this.ends);
  }
  resetGroup(): Promise<void> {
    this.resets++;
    return Promise.resolve();
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

let offset = 0;
function decision(orderId = crypto.randomUUID(), item = "pizza"): EventMessage {
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
  return { offset: String(offset++), key: item, value: encodeEvent(InventoryEvent, event) };
}

async function until(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 3_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

Deno.test("AnalyticsConsumer replays from a reset group and is done at the end offsets", async () => {
  offset = 0;
  const kafka = new FakeKafka([{ partition: 0, low: "0", high: "2" }]);
  const analytics = new AnalyticsConsumer({ kafka, logger: quiet });
  await analytics.start();
  assert.equal(kafka.resets, 1);
  assert.equal(analytics.ready, true);
  assert.equal(analytics.replay()?.state, "running");
  await kafka.current.deliver(0, [decision(), decision()]);
  assert.equal(analytics.replay()?.state, "done");
  assert.equal(analytics.replay()?.progress_percent, 100);
  assert.equal(analytics.metrics().total_orders, 2);
  await analytics.stop();
});

Deno.test("AnalyticsConsumer finishes a replay whose partition ends in an aborted transaction", async () => {
  offset = 0;
  // 2 events, then an aborted transaction of 3 records and its marker: the end is offset 6.
  const kafka = new FakeKafka([{ partition: 0, low: "0", high: "6" }]);
  const analytics = new AnalyticsConsumer({ kafka, logger: quiet });
  await analytics.start();
  const replay = analytics.replay()!;
  await kafka.current.deliver(0, [decision(), decision()]);
  assert.equal(analytics.replay()?.state, "running");
  kafka.current.skipTo(0, "5");
  assert.equal(analytics.replay()?.state, "done");
  await analytics.waitForReplay(replay.id);
  await analytics.stop();
});

Deno.test("AnalyticsConsumer counts a repeated decision once and dead-letters garbage with bounded headers", async () => {
  offset = 0;
  const kafka = new FakeKafka([{ partition: 1, low: "0", high: "3" }]);
  const analytics = new AnalyticsConsumer({ kafka, logger: quiet });
  await analytics.start();
  const repeated = decision();
  const garbage = {
    offset: String(offset++),
    key: "pizza",
    value: JSON.stringify(Object.fromEntries(
      Array.from({ length: 5_000 }, (_, index) => [`field_${index}`, index]),
    )),
  };
  await kafka.current.deliver(1, [repeated, { ...repeated, offset: String(offset++) }, garbage]);
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
  await analytics.stop();
});

Deno.test("AnalyticsConsumer restarts a member that crashed for good, keeping its metrics", async () => {
  offset = 0;
  const kafka = new FakeKafka([{ partition: 0, low: "0", high: "1" }]);
  const analytics = new AnalyticsConsumer({ kafka, logger: quiet });
  await analytics.start();
  await kafka.current.deliver(0, [decision()]);
  const crashed = kafka.current;
  crashed.crash(new Error("a non-retriable error"));
  assert.equal(analytics.ready, false);
  await until("a new member running", () => kafka.members.length === 2 && kafka.current.running);
  assert.equal(crashed.disconnected, true);
  assert.equal(analytics.ready, true);
  assert.equal(kafka.resets, 1, "a restart resumes from the committed offsets: no reset");
  assert.equal(analytics.metrics().total_orders, 1);
  await analytics.stop();
});

Deno.test("AnalyticsConsumer's replay replaces the member and starts the metrics over", async () => {
  offset = 0;
  const kafka = new FakeKafka([{ partition: 0, low: "0", high: "1" }]);
  const analytics = new AnalyticsConsumer({ kafka, logger: quiet });
  await analytics.start();
  const event = decision();
  await kafka.current.deliver(0, [event]);
  const first = kafka.current;
  const replay = await analytics.startReplay();
  assert.equal(first.disconnected, true);
  assert.equal(kafka.resets, 2);
  assert.equal(analytics.metrics().total_orders, 0, "cleared until the log is read again");
  await kafka.current.deliver(0, [event]);
  await analytics.waitForReplay(replay.id);
  assert.equal(analytics.metrics().total_orders, 1);
  await analytics.stop();
});
