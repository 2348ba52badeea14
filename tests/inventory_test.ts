/** The inventory service on the running stack: dead letters, throttling and lag, its HTTP routes. */
import assert from "node:assert/strict";
import { InventoryEvent } from "@campus/shared/events/inventory";
import {
  DEFAULT_EVENT_PARTITIONS,
  INVENTORY_EVENTS,
  ORDER_EVENTS,
  ORDER_EVENTS_DLQ,
} from "@campus/shared/topics";
import {
  endOffsets,
  eventually,
  kafkaClientAllowed,
  readToEnd,
  stack,
  testKafka,
} from "./_support.ts";

const inventory = stack.inventoryUrl;

/** Sets the inventory's per-message delay through its admin route. */
function throttle(seconds: number): Promise<Response> {
  return fetch(`${inventory}/admin/throttle`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ seconds }),
  });
}

async function placeOrders(
  orders: { user_id: string; item: string; quantity: number }[],
): Promise<string[]> {
  const response = await fetch(`${stack.producerUrl}/orders/batch`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ orders }),
  });
  assert.equal(response.status, 202, await response.clone().text());
  return (await response.json()).order_ids;
}

async function decidedOrderIds(
  kafka: Awaited<ReturnType<typeof testKafka>>,
  from: Map<number, string>,
) {
  const records = await readToEnd(kafka, INVENTORY_EVENTS, { from });
  return new Set(
    records.map((record) => InventoryEvent.parse(JSON.parse(record.value ?? "")).order_id),
  );
}

Deno.test({
  name:
    "garbage and schema-invalid messages go to order-events.dlq with their reason; orders around them are decided",
  ignore: !kafkaClientAllowed,
  sanitizeOps: false,
}, async () => {
  const kafka = await testKafka("inventory-dlq-test");
  const [dlqStart, resultsStart] = await Promise.all([
    endOffsets(kafka, ORDER_EVENTS_DLQ),
    endOffsets(kafka, INVENTORY_EVENTS),
  ]);
  const before = await placeOrders([{ user_id: "dlq-before", item: "pizza", quantity: 1 }]);

  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  const poison = [
    { value: "\u0000\u0001 not json at all", reason: "invalid_json" },
    {
      value: JSON.stringify({ event_type: "OrderPlaced", order_id: "nope" }),
      reason: "schema_mismatch",
    },
    { value: null, reason: "empty" },
  ];
  const marker = crypto.randomUUID();
  await producer.send({
    topic: ORDER_EVENTS,
    acks: -1,
    messages: poison.map((entry) => ({
      key: `poison-${marker}`,
      value: entry.value,
      partition: 0,
    })),
  });
  await producer.disconnect();
  const after = await placeOrders([{ user_id: "dlq-after", item: "soup", quantity: 1 }]);

  const dead = await eventually("the poison messages on the DLQ", async () => {
    const records = (await readToEnd(kafka, ORDER_EVENTS_DLQ, { from: dlqStart })).filter((
      record,
    ) => record.key === `poison-${marker}`);
    return records.length >= poison.length ? records : undefined;
  });
  assert.deepEqual(
    dead.map((record) => record.headers["dlq.reason"]),
    poison.map((entry) => entry.reason),
  );
  for (const record of dead) {
    assert.equal(record.headers["dlq.original.topic"], ORDER_EVENTS);
    assert.equal(record.headers["dlq.original.partition"], "0");
    assert.match(record.headers["dlq.original.offset"] ?? "", /^\d+$/);
    assert.ok((record.headers["dlq.detail"] ?? "").length > 0);
  }
  assert.equal(dead[0]?.value, poison[0]?.value, "the original bytes are kept");

  const decided = await eventually("the orders around the poison to be decided", async () => {
    const ids = await decidedOrderIds(kafka, resultsStart);
    return [...before, ...after].every((id) => ids.has(id)) ? ids : undefined;
  });
  assert.ok(decided.has(before[0]!) && decided.has(after[0]!));
  // /health answers 200 as long as the process runs, crashed consumer or not; /ready answers 200
  // only while the consumer is in its group with its stock restored, and an order placed now
  // must still be decided.
  assert.equal((await fetch(`${inventory}/ready`)).status, 200, "the consumer is still running");
  const later = await placeOrders([{ user_id: "dlq-later", item: "pizza", quantity: 1 }]);
  await eventually(
    "an order placed after the poison to be decided",
    async () => (await decidedOrderIds(kafka, resultsStart)).has(later[0]!) || undefined,
  );
});

Deno.test({
  name:
    "throttling the consumer makes lag grow; removing the throttle drains it to 0 with nothing lost",
  ignore: !kafkaClientAllowed,
  sanitizeOps: false,
}, async () => {
  const kafka = await testKafka("inventory-lag-test");
  const resultsStart = await endOffsets(kafka, INVENTORY_EVENTS);
  assert.deepEqual(await (await throttle(0.02)).json(), { seconds: 0.02 });
  let ids: string[] = [];
  try {
    ids = await placeOrders(
      Array.from(
        { length: 400 },
        (_, index) => ({
          user_id: `lag-${index}`,
          item: ["pizza", "soup", "taco"][index % 3]!,
          quantity: 1,
        }),
      ),
    );
    const peak = await eventually("lag to rise above 100", async () => {
      const { total } = await (await fetch(`${inventory}/lag`)).json();
      return total > 100 ? total : undefined;
    });
    assert.ok(peak > 100);
    const metrics = await (await fetch(`${inventory}/metrics`)).text();
    assert.match(metrics, /inventory_processing_delay_seconds 0\.02/);
  } finally {
    assert.equal((await throttle(0)).status, 200);
  }
  await eventually("lag to drain to 0", async () => {
    const { total } = await (await fetch(`${inventory}/lag`)).json();
    return total === 0 ? true : undefined;
  }, { timeoutMs: 30_000 });
  const decided = await decidedOrderIds(kafka, resultsStart);
  assert.deepEqual(
    ids.filter((id) => !decided.has(id)),
    [],
    "every order of the burst was decided",
  );
});

Deno.test({
  name:
    "a throttle longer than the session timeout still decides at its pace; a new value takes effect at once",
  ignore: !kafkaClientAllowed,
  sanitizeOps: false,
}, async () => {
  const kafka = await testKafka("inventory-slow-throttle-test");
  const resultsStart = await endOffsets(kafka, INVENTORY_EVENTS);
  let ids: string[] = [];
  const decided = async () => {
    const found = await decidedOrderIds(kafka, resultsStart);
    return ids.filter((id) => found.has(id)).length;
  };
  // 12 s per order: more than the 10 s session timeout, which once got the member thrown out
  // of its group before every decision, so that nothing was ever decided.
  await (await throttle(12)).body?.cancel();
  try {
    ids = await placeOrders([{ user_id: "slow-1", item: "soup", quantity: 1 }]);
    const started = performance.now();
    await eventually(
      "the first order decided at the throttled pace",
      async () => await decided() === 1 ? true : undefined,
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    assert.ok(performance.now() - started > 8_000, "it did wait for the delay");
    ids.push(
      ...await placeOrders([
        { user_id: "slow-2", item: "soup", quantity: 1 },
        { user_id: "slow-3", item: "soup", quantity: 1 },
      ]),
    );
    // Let the consumer start its 12 s wait on the next order, then lift the throttle.
    await eventually("the consumer waiting on the next order", async () => {
      const { total } = await (await fetch(`${inventory}/lag`)).json();
      return total === 2 ? true : undefined;
    });
  } finally {
    await (await throttle(0)).body?.cancel();
  }
  const lifted = performance.now();
  await eventually(
    "the rest decided once the throttle is lifted",
    async () => await decided() === 3 ? true : undefined,
    { timeoutMs: 8_000, intervalMs: 250 },
  );
  assert.ok(performance.now() - lifted < 8_000);
});

Deno.test("POST /admin/throttle rejects a bad delay with a message naming it", async () => {
  const response = await fetch(`${inventory}/admin/throttle`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ seconds: -1 }),
  });
  assert.equal(response.status, 400);
  assert.match(
    (await response.json()).error,
    /^Invalid throttle: seconds: must be zero or more seconds/,
  );
});

Deno.test("GET /ready, /inventory and /metrics describe the running consumer", async () => {
  const ready = await eventually("inventory to be ready", async () => {
    const response = await fetch(`${inventory}/ready`);
    return response.status === 200
      ? await response.json()
      : (await response.body?.cancel(), undefined);
  });
  assert.deepEqual(ready.partitions, [...Array(DEFAULT_EVENT_PARTITIONS).keys()]);
  const stock = await (await fetch(`${inventory}/inventory`)).json();
  assert.ok(typeof stock.items.pizza === "number");
  const metrics = await (await fetch(`${inventory}/metrics`)).text();
  for (
    const name of [
      "inventory_results_total",
      "inventory_consumer_lag",
      "inventory_rebalances_total",
      "inventory_processing_delay_seconds",
    ]
  ) {
    assert.match(metrics, new RegExp(`# TYPE ${name} `));
  }
});
