/** The producer service on the running stack: real HTTP, real broker, events read back from Kafka. */
import assert from "node:assert/strict";
import type { Admin, Kafka } from "kafkajs";
import { ORDER_EVENTS } from "@campus/shared/topics";
import { OrderPlaced } from "@campus/shared/events/order_placed";
import { BAD_REQUESTS, toRequest } from "../services/producer/testdata/bad_requests.ts";
import {
  connectedAdmin,
  endOffsets as topicEndOffsets,
  eventually,
  kafkaClientAllowed,
  readToEnd,
  stack,
  testKafka,
} from "./_support.ts";

const url = stack.producerUrl;

async function endOffsets(admin: Admin): Promise<Map<number, string>> {
  const offsets = await admin.fetchTopicOffsets(ORDER_EVENTS);
  return new Map(offsets.map((entry) => [entry.partition, entry.high]));
}

function postOrder(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/order`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

/** Every message of order-events from `from` (per partition) on, until `done` says enough. */
async function readOrderEvents(
  kafka: Kafka,
  from: Map<number, string>,
  done: (seen: Map<string, { partition: number; offset: string; event: OrderPlaced }[]>) => boolean,
) {
  const seen = new Map<string, { partition: number; offset: string; event: OrderPlaced }[]>();
  const consumer = kafka.consumer({
    groupId: `producer-test-${crypto.randomUUID()}`,
    maxWaitTimeInMs: 200,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: ORDER_EVENTS });
    await consumer.run({
      eachMessage: ({ partition, message }) => {
        const event = OrderPlaced.parse(JSON.parse(message.value?.toString() ?? ""));
        const copies = seen.get(event.order_id) ?? [];
        copies.push({ partition, offset: message.offset, event });
        seen.set(event.order_id, copies);
        return Promise.resolve();
      },
    });
    for (const [partition, offset] of from) {
      consumer.seek({ topic: ORDER_EVENTS, partition, offset });
    }
    await eventually("the published orders on order-events", () => done(seen) ? true : undefined, {
      timeoutMs: 30_000,
      lastSeen: () => seen.size,
    });
    // Read on a little longer: a duplicate written later than the last original must show up too.
    const end = await (async () => {
      await using admin = await connectedAdmin(kafka);
      return await endOffsets(admin);
    })();
    const consumed = new Map<number, bigint>();
    await eventually("order-events read to its end", () => {
      for (const copies of seen.values()) {
        for (const copy of copies) {
          const next = BigInt(copy.offset) + 1n;
          if (next > (consumed.get(copy.partition) ?? 0n)) consumed.set(copy.partition, next);
        }
      }
      return [...end].every(([partition, high]) =>
          BigInt(high) <= BigInt(from.get(partition) ?? "0") ||
          (consumed.get(partition) ?? 0n) >= BigInt(high)
        )
        ? true
        : undefined;
    }, { timeoutMs: 30_000 });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

Deno.test("every request of the bad-request corpus gets its 4xx and a message naming the problem", async (t) => {
  const admin = kafkaClientAllowed
    ? await connectedAdmin(await testKafka("producer-bad-input"))
    : undefined;
  try {
    const before = admin ? await endOffsets(admin) : undefined;
    for (const bad of BAD_REQUESTS) {
      await t.step(
        `${bad.method ?? "POST"} ${bad.path ?? "/order"} with ${bad.name} → ${bad.status}`,
        async () => {
          const response = await fetch(toRequest(url, bad));
          const body = await response.json();
          assert.equal(response.status, bad.status, JSON.stringify(body));
          assert.match(body.error, bad.message);
        },
      );
    }
    if (admin && before) {
      assert.deepEqual(
        await endOffsets(admin),
        before,
        "no bad request published anything to order-events",
      );
    }
  } finally {
    await admin?.disconnect();
  }
});

Deno.test({
  name:
    "1,000 concurrent POST /order give 1,000 distinct order_ids, each exactly once on order-events where the answer said",
  ignore: !kafkaClientAllowed,
  sanitizeOps: false,
}, async () => {
  const kafka = await testKafka("producer-concurrency");
  const before = await (async () => {
    await using admin = await connectedAdmin(kafka);
    return await endOffsets(admin);
  })();
  const items = ["pizza", "salad", "soup", "curry", "taco"];
  const responses = await Promise.all(Array.from({ length: 1000 }, async (_, index) => {
    const response = await postOrder({
      user_id: `concurrent-${index}`,
      item: items[index % items.length],
      quantity: 1,
    });
    return { status: response.status, body: await response.json() };
  }));
  assert.deepEqual(responses.filter((response) => response.status !== 202), []);
  const accepted = new Map(responses.map(({ body }) => [body.order_id as string, body]));
  assert.equal(accepted.size, 1000, "distinct order_ids");

  const seen = await readOrderEvents(
    kafka,
    before,
    (seen) => [...accepted.keys()].every((id) => seen.has(id)),
  );
  for (const [orderId, answer] of accepted) {
    const copies = seen.get(orderId) ?? [];
    assert.equal(copies.length, 1, `order ${orderId} is on order-events ${copies.length} times`);
    assert.equal(copies[0]?.partition, answer.partition, "partition in the answer");
    assert.equal(copies[0]?.offset, answer.offset, "offset in the answer");
    assert.equal(copies[0]?.event.event_id, answer.event_id);
  }
  const index = (orderId: string) => Number(seen.get(orderId)?.[0]?.event.user_id.split("-")[1]);
  for (const orderId of accepted.keys()) {
    assert.equal(
      seen.get(orderId)?.[0]?.event.item,
      items[index(orderId) % items.length],
      "the event carries the order",
    );
  }
});

Deno.test({
  name: "the same Idempotency-Key twice yields the same order_id and one event on the topic",
  ignore: !kafkaClientAllowed,
  sanitizeOps: false,
}, async () => {
  const kafka = await testKafka("producer-idempotency-test");
  const start = await topicEndOffsets(kafka, ORDER_EVENTS);
  const key = crypto.randomUUID();
  const order = { user_id: "idempotent-student", item: "pizza", quantity: 2 };
  const first = await (await postOrder(order, { "idempotency-key": key })).json();
  const second = await (await postOrder(order, { "idempotency-key": key })).json();
  assert.match(first.order_id, /^[0-9a-f-]{36}$/);
  assert.deepEqual(second, first, "the retry gets the first answer");
  // The same id alone proves nothing (it is derived from user and key); the retry must not have
  // published the order again.
  const events = (await readToEnd(kafka, ORDER_EVENTS, { from: start }))
    .map((record) => OrderPlaced.parse(JSON.parse(record.value ?? "")))
    .filter((event) => event.order_id === first.order_id);
  assert.equal(events.length, 1, "the order is on the topic once");
});

Deno.test("POST /orders/batch accepts all 50 orders and answers 50 distinct order_ids", async () => {
  const orders = Array.from(
    { length: 50 },
    (_, index) => ({ user_id: `batch-${index}`, item: "soup", quantity: 1 }),
  );
  const response = await fetch(`${url}/orders/batch`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ orders }),
  });
  assert.equal(response.status, 202);
  const body = await response.json();
  assert.equal(body.accepted, 50);
  assert.equal(new Set(body.order_ids).size, 50);
});

Deno.test("GET /ready is 200 while connected; /metrics and /openapi.json describe the service", async () => {
  assert.equal((await fetch(`${url}/ready`)).status, 200);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  for (
    const name of [
      "producer_http_requests_total",
      "producer_produce_latency_seconds",
      "producer_batch_size",
    ]
  ) {
    assert.match(metrics, new RegExp(`# TYPE ${name} `));
  }
  const openApi = await (await fetch(`${url}/openapi.json`)).json();
  assert.equal(openApi.openapi, "3.1.0");
  assert.ok(openApi.paths["/order"].post);
});
