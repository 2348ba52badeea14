/** The analytics service on the running stack: exact counts, byte-identical replay, duplicates once. */
import assert from "node:assert/strict";
import { encodeEvent } from "@campus/shared/events/codec";
import { InventoryEvent } from "@campus/shared/events/inventory";
import { DEFAULT_EVENT_PARTITIONS, INVENTORY_EVENTS } from "@campus/shared/topics";
import { computeMetrics } from "../services/analytics/metrics.ts";
import { analyticsSettled } from "./_experiments.ts";
import {
  abortBigTransaction,
  eventually,
  kafkaClientAllowed,
  readToEnd,
  stack,
  testKafka,
} from "./_support.ts";

const analytics = stack.analyticsUrl;

const metricsNow = async () => (await (await fetch(`${analytics}/metrics`)).json());

async function placeOrders(count: number, prefix: string): Promise<string[]> {
  const items = ["pizza", "soup", "lobster", "chef-special", "taco"];
  const orders = Array.from(
    { length: count },
    (_, index) => ({
      user_id: `${prefix}-${index}`,
      item: items[index % items.length]!,
      quantity: 1 + (index % 2),
    }),
  );
  const response = await fetch(`${stack.producerUrl}/orders/batch`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ orders }),
  });
  assert.equal(response.status, 202);
  return (await response.json()).order_ids;
}

Deno.test({
  name: "GET /metrics equals the counts a separate consumer computes from inventory-events",
  ignore: !kafkaClientAllowed,
  sanitizeOps: false,
}, async () => {
  const kafka = await testKafka("analytics-count-test");
  const ids = await placeOrders(300, "analytics-count");
  // Wait until analytics has every new order, then compare with an independent read of the log.
  await eventually("analytics to count the new orders", async () => {
    const records = await readToEnd(kafka, INVENTORY_EVENTS);
    const decided = new Set(records.map((record) => JSON.parse(record.value ?? "{}").order_id));
    if (!ids.every((id) => decided.has(id))) return undefined;
    const body = await metricsNow();
    return body.operational.lag === 0 && body.metrics.total_orders === decided.size
      ? true
      : undefined;
  }, { timeoutMs: 30_000, intervalMs: 250 });
  const records = await readToEnd(kafka, INVENTORY_EVENTS);
  const independent = computeMetrics(
    records.map((record) => InventoryEvent.parse(JSON.parse(record.value ?? ""))),
  );
  const { metrics } = await metricsNow();
  assert.deepEqual(metrics, independent);
  assert.ok(metrics.total_orders >= 300);
});

Deno.test("a replay gives metrics identical to the byte", async () => {
  await placeOrders(50, "analytics-replay");
  const before = await analyticsSettled();
  const response = await fetch(`${analytics}/replay?wait=true`, {
    method: "POST",
    headers: { "content-type": "application/json" },
  });
  assert.equal(response.status, 200);
  const after = await response.json();
  assert.equal(after.status, "done");
  assert.equal(JSON.stringify(after.metrics), JSON.stringify(before.metrics));
  assert.equal(after.operational.replay.progress_percent, 100);
  assert.equal(JSON.stringify((await metricsNow()).metrics), JSON.stringify(before.metrics));
});

Deno.test({
  name: "the same result event delivered twice is counted once",
  ignore: !kafkaClientAllowed,
  sanitizeOps: false,
}, async () => {
  const kafka = await testKafka("analytics-duplicate-test");
  // Loaded here, not at the top: kafkajs needs env access, which plain `--allow-net` lacks.
  const { keyPartitioner } = await import("@campus/shared/kafka");
  const before = await metricsNow();
  const event = InventoryEvent.parse({
    event_id: crypto.randomUUID(),
    schema_version: 1,
    occurred_at: new Date().toISOString(),
    order_id: crypto.randomUUID(),
    user_id: "duplicate-test",
    item: "duplicate-cake",
    quantity: 1,
    order_placed_at: new Date().toISOString(),
    causation_id: crypto.randomUUID(),
    event_type: "InventoryReserved",
    remaining: 0,
  });
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  const message = {
    key: event.item,
    value: encodeEvent(InventoryEvent, event),
    partition: keyPartitioner(DEFAULT_EVENT_PARTITIONS)(event.item),
  };
  await producer.send({ topic: INVENTORY_EVENTS, acks: -1, messages: [message] });
  await producer.send({ topic: INVENTORY_EVENTS, acks: -1, messages: [message] });
  await producer.disconnect();
  const after = await eventually("both copies consumed", async () => {
    const body = await metricsNow();
    return body.operational.events_consumed >= before.operational.events_consumed + 2 &&
        body.operational.lag === 0
      ? body
      : undefined;
  });
  assert.equal(after.metrics.total_orders, before.metrics.total_orders + 1);
  assert.equal(after.operational.duplicates_ignored, before.operational.duplicates_ignored + 1);
  assert.deepEqual(after.metrics.per_item["duplicate-cake"], {
    total: 1,
    successful: 1,
    failed: 0,
  });
});

Deno.test({
  name: "a replay finishes when every partition of inventory-events ends in an aborted transaction",
  ignore: !kafkaClientAllowed,
  sanitizeOps: false,
}, async () => {
  const kafka = await testKafka("analytics-aborted-tail-test");
  await abortBigTransaction(kafka, [INVENTORY_EVENTS], DEFAULT_EVENT_PARTITIONS);
  const response = await fetch(`${analytics}/replay?wait=true`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    signal: AbortSignal.timeout(30_000),
  });
  assert.equal(response.status, 200, await response.clone().text());
  const body = await response.json();
  assert.equal(body.status, "done");
  assert.equal(body.operational.replay.progress_percent, 100);
});

Deno.test("GET /metrics answers Prometheus text when asked for text/plain", async () => {
  const response = await fetch(`${analytics}/metrics`, { headers: { accept: "text/plain" } });
  assert.match(response.headers.get("content-type") ?? "", /^text\/plain/);
  const text = await response.text();
  assert.match(text, /^analytics_orders \d+$/m);
  assert.match(text, /^analytics_failure_rate_percent [\d.]+$/m);
});
