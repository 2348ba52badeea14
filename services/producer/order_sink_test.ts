import assert from "node:assert/strict";
import { createLogger } from "@campus/shared/log";
import type { OrderPlaced } from "@campus/shared/events/order_placed";
import { type Ack, PublishTooLargeError, PublishUnavailableError } from "./batcher.ts";
import { createOrderSink } from "./order_sink.ts";
import { OrderOutbox, OutboxFullError } from "./outbox.ts";
import { MemoryOutboxStore } from "./testdata/memory_outbox_store.ts";

const event = (n: number, item = "pizza"): OrderPlaced => ({
  event_id: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
  event_type: "OrderPlaced",
  schema_version: 1,
  occurred_at: "2026-11-27T08:00:00.000Z",
  order_id: `10000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
  user_id: "u",
  item,
  quantity: 1,
});

function setup(publish: (events: OrderPlaced[]) => Promise<Ack[]>, ready = true) {
  const store = new MemoryOutboxStore();
  const connection = { ready, whenReady: () => new Promise<void>(() => {}) };
  const outbox = new OrderOutbox({
    store,
    maxBytes: 1_000_000,
    send: () => new Promise(() => {}), // the relay never finishes in these tests
    connection,
    partitionFor: () => 0,
    relayBatchMessages: 10,
    relayBatchBytes: 10_000,
    retryDelayMs: 1,
    logger: createLogger({ service: "test", write: () => {} }),
  });
  let refusal: string | undefined;
  const place = createOrderSink({ publish, outbox, connection, refusal: () => refusal });
  return { place, store, outbox, refuse: (why: string) => refusal = why };
}

const acked = (events: OrderPlaced[]) =>
  Promise.resolve(events.map((_, index) => ({ partition: 0, offset: String(index) })));

Deno.test("with Kafka connected and the outbox empty, orders go straight to Kafka", async () => {
  const published: OrderPlaced[][] = [];
  const { place, store } = setup((events) => (published.push(events), acked(events)));
  const placement = await place([event(1)]);
  assert.equal(placement.status, "accepted");
  assert.equal(published.length, 1);
  assert.equal(store.depth, 0);
});

Deno.test("not connected: orders are queued at once, never sent", async () => {
  let sends = 0;
  const { place, store } = setup((events) => (sends++, acked(events)), false);
  assert.deepEqual(await place([event(1)]), { status: "queued" });
  assert.equal(sends, 0);
  assert.equal(store.depth, 1);
  assert.equal(JSON.parse(store.rows[0]!.value).order_id, event(1).order_id);
  assert.equal(store.rows[0]!.key, "pizza", "keyed by item, as direct sends");
});

Deno.test("a direct send Kafka did not acknowledge in time is queued; while the outbox holds orders, later ones follow it", async () => {
  let sends = 0;
  const { place, store } = setup((events) => {
    sends++;
    if (sends === 1) {
      return Promise.reject(new PublishUnavailableError("late", "timed_out", true));
    }
    return acked(events);
  });
  assert.deepEqual(await place([event(1)]), { status: "queued" });
  // Kafka answers again, but the outbox is not empty: the next order goes behind the first.
  assert.deepEqual(await place([event(2)]), { status: "queued" });
  assert.equal(sends, 1);
  assert.deepEqual(store.rows.map((row) => JSON.parse(row.value).order_id), [
    event(1).order_id,
    event(2).order_id,
  ]);
});

Deno.test("a send that may have been written and then finds the outbox full answers with the send's failure", async () => {
  const store = new MemoryOutboxStore();
  const connection = { ready: true, whenReady: () => Promise.resolve() };
  const outbox = new OrderOutbox({
    store,
    maxBytes: 10, // smaller than any order
    send: () => Promise.resolve(),
    connection,
    partitionFor: () => 0,
    relayBatchMessages: 10,
    relayBatchBytes: 10_000,
    retryDelayMs: 1,
    logger: createLogger({ service: "test", write: () => {} }),
  });
  const timedOut = new PublishUnavailableError("late", "timed_out", true);
  const place = createOrderSink({ publish: () => Promise.reject(timedOut), outbox, connection });
  await assert.rejects(place([event(1)]), (error) => error === timedOut);
  const notSent = createOrderSink({
    publish: () => Promise.reject(new PublishUnavailableError("away", "not_connected", false)),
    outbox,
    connection,
  });
  await assert.rejects(notSent([event(2)]), OutboxFullError);
  assert.equal(store.depth, 0);
});

Deno.test("orders that can never be sent, or while the topic is misconfigured, are refused, not queued", async () => {
  const { place, store, refuse } = setup(() => Promise.reject(new PublishTooLargeError(2e6, 9e5)));
  await assert.rejects(place([event(1)]), PublishTooLargeError);
  refuse("order-events has 3 partitions, this producer expects 6");
  await assert.rejects(place([event(2)]), (error: unknown) => {
    assert.ok(error instanceof PublishUnavailableError);
    assert.equal(error.reason, "misconfigured");
    assert.equal(error.mayHaveBeenWritten, false);
    return true;
  });
  assert.equal(store.depth, 0);
});

Deno.test("without an outbox, Kafka's refusal is the answer (ORDER_OUTBOX=off)", async () => {
  const place = createOrderSink({
    publish: () => Promise.reject(new PublishUnavailableError("away", "not_connected", false)),
    connection: { ready: false, whenReady: () => Promise.resolve() },
  });
  await assert.rejects(place([event(1)]), PublishUnavailableError);
});
