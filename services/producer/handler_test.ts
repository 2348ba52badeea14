import assert from "node:assert/strict";
import { createLogger } from "@campus/shared/log";
import type { OrderPlaced } from "@campus/shared/events/order_placed";
import { type Ack, PublishUnavailableError } from "./batcher.ts";
import { createProducerHandler, type ProducerHandlerDeps } from "./handler.ts";
import { createProducerMetrics } from "./metrics.ts";
import { createOrderSink } from "./order_sink.ts";
import { OutboxFullError } from "./outbox.ts";
import { BAD_REQUESTS, toRequest } from "./testdata/bad_requests.ts";

const NOW = new Date("2026-11-27T08:00:00.000Z");

type Publish = (events: OrderPlaced[]) => Promise<Ack[]>;

/** A handler whose orders go to `publish` (a fake Kafka) through the sink, with no outbox. */
function setup(overrides: Partial<ProducerHandlerDeps> & { publish?: Publish } = {}) {
  const published: OrderPlaced[][] = [];
  let ids = 0;
  const { publish: publishOverride, ...rest } = overrides;
  const publish: Publish = publishOverride ?? ((events) => {
    published.push(events);
    return Promise.resolve(
      events.map((_, index): Ack => ({ partition: 1, offset: String(100 + index) })),
    );
  });
  const deps: ProducerHandlerDeps = {
    place: createOrderSink({
      publish,
      connection: { ready: true, whenReady: () => Promise.resolve() },
    }),
    isReady: () => true,
    kafka: { connected: true },
    now: () => NOW,
    newId: () => `00000000-0000-4000-8000-${String(++ids).padStart(12, "0")}`,
    metrics: createProducerMetrics({ ready: () => true, pending: () => 0 }),
    logger: createLogger({ service: "test", write: () => {} }),
    ...rest,
  };
  return { handle: createProducerHandler(deps), published };
}

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  new Request(`http://local${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

const pizza = { user_id: "student-1", item: "pizza", quantity: 2 };

Deno.test("POST /order publishes one OrderPlaced and answers 202 with where Kafka put it", async () => {
  const { handle, published } = setup();
  const response = await handle(post("/order", pizza));
  assert.equal(response.status, 202);
  assert.deepEqual(await response.json(), {
    order_id: "00000000-0000-4000-8000-000000000001",
    event_id: "00000000-0000-4000-8000-000000000002",
    status: "accepted",
    partition: 1,
    offset: "100",
  });
  assert.deepEqual(published, [[{
    event_id: "00000000-0000-4000-8000-000000000002",
    event_type: "OrderPlaced",
    schema_version: 1,
    occurred_at: "2026-11-27T08:00:00.000Z",
    order_id: "00000000-0000-4000-8000-000000000001",
    ...pizza,
  }]]);
});

Deno.test("POST /order accepts a JSON content type with a charset", async () => {
  const { handle } = setup();
  const response = await handle(
    post("/order", pizza, { "content-type": "application/json; charset=utf-8" }),
  );
  assert.equal(response.status, 202);
});

for (const bad of BAD_REQUESTS) {
  Deno.test(`${bad.method ?? "POST"} ${bad.path ?? "/order"} with ${bad.name} answers ${bad.status} and publishes nothing`, async () => {
    const { handle, published } = setup();
    const response = await handle(toRequest("http://local", bad));
    const body = await response.json();
    assert.equal(response.status, bad.status, JSON.stringify(body));
    assert.match(body.error, bad.message);
    if (bad.status === 400 && Array.isArray(body.issues)) assert.ok(body.issues.length > 0);
    assert.deepEqual(published, []);
  });
}

Deno.test("the bad-request corpus has at least 40 distinct cases", () => {
  assert.ok(BAD_REQUESTS.length >= 40, `only ${BAD_REQUESTS.length}`);
  assert.equal(new Set(BAD_REQUESTS.map((bad) => bad.name)).size, BAD_REQUESTS.length);
});

Deno.test("POST /order answers 503 with Retry-After when Kafka does not acknowledge", async () => {
  const { handle } = setup({
    publish: () =>
      Promise.reject(
        new PublishUnavailableError("Kafka did not acknowledge within 5000 ms", "timed_out", true),
      ),
  });
  const response = await handle(post("/order", pizza));
  assert.equal(response.status, 503);
  assert.equal(response.headers.get("retry-after"), "1");
  const body = await response.json();
  assert.match(body.error, /^Kafka did not acknowledge within 5000 ms; it may have been written/);
  assert.match(body.error, /retry with the same Idempotency-Key/);
  assert.equal(body.reason, "timed_out");
  assert.equal(body.may_have_been_written, true);
});

Deno.test("POST /order names the real cause of a 503: not connected, nothing written", async () => {
  const { handle } = setup({
    publish: () =>
      Promise.reject(
        new PublishUnavailableError(
          "Not connected to Kafka within 5000 ms; the order was not sent",
          "not_connected",
          false,
        ),
      ),
  });
  const response = await handle(post("/order", pizza));
  assert.equal(response.status, 503);
  const body = await response.json();
  assert.match(body.error, /^Not connected to Kafka .*nothing was written/);
  assert.equal(body.reason, "not_connected");
  assert.equal(body.may_have_been_written, false);
});

Deno.test("the same Idempotency-Key twice yields the same order_id and publishes once", async () => {
  const { handle, published } = setup();
  const first = await (await handle(post("/order", pizza, { "idempotency-key": "retry-me" })))
    .json();
  const second = await (await handle(post("/order", pizza, { "idempotency-key": "retry-me" })))
    .json();
  assert.equal(second.order_id, first.order_id);
  assert.deepEqual(second, first);
  assert.equal(published.length, 1);
});

Deno.test("an Idempotency-Key derives the order_id: a fresh process gives the same id", async () => {
  const first = await (await setup().handle(post("/order", pizza, { "idempotency-key": "k-1" })))
    .json();
  const again = await (await setup().handle(post("/order", pizza, { "idempotency-key": "k-1" })))
    .json();
  const otherUser = await (await setup().handle(
    post("/order", { ...pizza, user_id: "student-2" }, { "idempotency-key": "k-1" }),
  )).json();
  const otherOrder = await (await setup().handle(
    post("/order", { ...pizza, quantity: pizza.quantity + 1 }, { "idempotency-key": "k-1" }),
  )).json();
  assert.equal(again.order_id, first.order_id);
  assert.notEqual(otherUser.order_id, first.order_id);
  // A process that forgot the key cannot answer 422; the other order must then be a new order,
  // never one that consumers would drop as a repeat of the first.
  assert.notEqual(otherOrder.order_id, first.order_id);
  assert.match(
    first.order_id,
    /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  );
});

Deno.test("an Idempotency-Key reused for a different order answers 422 and publishes nothing more", async () => {
  const { handle, published } = setup();
  await handle(post("/order", pizza, { "idempotency-key": "k-2" }));
  const response = await handle(
    post("/order", { ...pizza, quantity: 3 }, { "idempotency-key": "k-2" }),
  );
  assert.equal(response.status, 422);
  assert.match((await response.json()).error, /already used for a different order/);
  assert.equal(published.length, 1);
});

Deno.test("a retry after a 503 with the same Idempotency-Key publishes again under the same order_id", async () => {
  let fail = true;
  const published: OrderPlaced[] = [];
  const { handle } = setup({
    publish: (events) => {
      if (fail) return Promise.reject(new PublishUnavailableError("down", "not_connected", false));
      published.push(...events);
      return Promise.resolve(events.map(() => ({ partition: 0, offset: "7" })));
    },
  });
  assert.equal((await handle(post("/order", pizza, { "idempotency-key": "k-3" }))).status, 503);
  fail = false;
  const retried = await handle(post("/order", pizza, { "idempotency-key": "k-3" }));
  assert.equal(retried.status, 202);
  assert.equal((await retried.json()).order_id, published[0]?.order_id);
});

Deno.test("POST /order answers 202 queued, without partition or offset, when the order went to the outbox", async () => {
  const { handle } = setup({ place: () => Promise.resolve({ status: "queued" }) });
  const response = await handle(post("/order", pizza));
  assert.equal(response.status, 202);
  assert.deepEqual(await response.json(), {
    order_id: "00000000-0000-4000-8000-000000000001",
    event_id: "00000000-0000-4000-8000-000000000002",
    status: "queued",
  });
  const batch = await handle(post("/orders/batch", { orders: [pizza, pizza] }));
  assert.equal(batch.status, 202);
  const body = await batch.json();
  assert.equal(body.status, "queued");
  assert.equal(body.accepted, 2);
});

Deno.test("POST /order answers 503 outbox_full with Retry-After when the outbox holds its maximum", async () => {
  const { handle } = setup({ place: () => Promise.reject(new OutboxFullError(1000, 1000)) });
  const response = await handle(post("/order", pizza));
  assert.equal(response.status, 503);
  assert.equal(response.headers.get("retry-after"), "1");
  const body = await response.json();
  assert.equal(body.reason, "outbox_full");
  assert.equal(body.may_have_been_written, false);
  assert.match(body.error, /outbox is full .*nothing was stored/);
});

Deno.test("POST /orders/batch publishes all orders in one call and lists their ids in order", async () => {
  const { handle, published } = setup();
  const orders = [pizza, { ...pizza, item: "salad" }, { ...pizza, item: "soup", quantity: 1 }];
  const response = await handle(post("/orders/batch", { orders }));
  assert.equal(response.status, 202);
  const body = await response.json();
  assert.equal(body.accepted, 3);
  assert.equal(body.status, "accepted");
  assert.deepEqual(body.order_ids, published[0]?.map((event) => event.order_id));
  assert.deepEqual(published[0]?.map((event) => event.item), ["pizza", "salad", "soup"]);
});

Deno.test("GET /ready is 200 while Kafka takes orders and 503 with Retry-After while not", async () => {
  let ready = true;
  const { handle } = setup({ isReady: () => ready });
  assert.equal((await handle(new Request("http://local/ready"))).status, 200);
  ready = false;
  const response = await handle(new Request("http://local/ready"));
  assert.equal(response.status, 503);
  assert.equal(response.headers.get("retry-after"), "1");
});

Deno.test("GET /health answers 200 while Kafka is disconnected: it is liveness, not readiness", async () => {
  const { handle } = setup({ kafka: { connected: false }, isReady: () => false });
  const response = await handle(new Request("http://local/health"));
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), {
    status: "ok",
    service: "producer",
    kafka: "disconnected",
  });
});

Deno.test("GET /metrics counts requests by route pattern and status", async () => {
  const { handle } = setup();
  await handle(post("/order", pizza));
  await handle(post("/order", {}));
  await handle(new Request("http://local/random-path-1"));
  const text = await (await handle(new Request("http://local/metrics"))).text();
  assert.match(text, /producer_http_requests_total\{route="POST \/order",status="202"\} 1/);
  assert.match(text, /producer_http_requests_total\{route="POST \/order",status="400"\} 1/);
  assert.match(text, /producer_http_requests_total\{route="unmatched",status="404"\} 1/);
  assert.doesNotMatch(text, /random-path/);
  assert.match(text, /producer_orders_accepted_total 1/);
  assert.match(text, /# TYPE producer_produce_latency_seconds histogram/);
  assert.match(text, /# TYPE producer_batch_size histogram/);
});

Deno.test("GET /asyncapi.json serves the AsyncAPI document of the topics", async () => {
  const { handle } = setup();
  const response = await handle(new Request("http://local/asyncapi.json"));
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /application\/json/);
  const document = await response.json();
  assert.equal(document.asyncapi, "3.0.0");
  assert.equal(document.channels.orderEvents.address, "order-events");
});
