/**
 * Experiment 2, 10,000 events: orders at a configurable concurrency (EXPERIMENT_CONCURRENCY,
 * default 256), the acceptance throughput, and the time until analytics has counted all of them.
 * The client is the load generator's keep-alive HTTP/1.1 client (`tasks/load/http1.ts`): `fetch`
 * costs several times more CPU per request and, on two cores, was the experiment's bottleneck
 * (about 2,500 orders/s).
 */
import assert from "node:assert/strict";
import { buildPost, Http1Connection } from "../tasks/load/http1.ts";
import { setting, stack } from "./_support.ts";
import {
  analyticsReaches,
  analyticsSettled,
  experimentOrder,
  formatTable,
  progressTo,
} from "./_experiments.ts";

const TOTAL = 10_000;
// 256, not 64: each order's answer waits for Kafka's acknowledgement, so a closed loop of N
// requests in flight takes at most N per produce round trip. On a just-started stack (the broker's
// JIT still compiling) 64 made the client the bottleneck: all counted in 2.23-2.35 s with 64,
// 1.59-1.68 s with 256 (two fresh stacks each).
const concurrency = Number(setting("EXPERIMENT_CONCURRENCY", "256"));

Deno.test("experiment 2: 10,000 orders are all accepted and analytics counts exactly 10,000, none twice", async () => {
  const before = await analyticsSettled();
  const progress = progressTo(`10K orders at ${concurrency} concurrent`);
  const statuses = new Map<number, number>();
  const orderIds = new Set<string>();
  let next = 0;
  let done = 0;
  const producer = new URL(stack.producerUrl);
  const requests = Array.from(
    { length: TOTAL },
    (_, index) =>
      buildPost(producer.host, "/order", JSON.stringify(experimentOrder("throughput", index))),
  );
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    const connection = await Http1Connection.open(producer.hostname, Number(producer.port));
    try {
      for (let index = next++; index < TOTAL; index = next++) {
        const { status, body } = await connection.exchange(requests[index]!);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status === 202) orderIds.add(String(JSON.parse(body).order_id));
        progress(++done, TOTAL);
      }
    } finally {
      connection.close();
    }
  }));
  const acceptedAt = performance.now();
  const after = await analyticsReaches(before.metrics.total_orders + TOTAL);
  const countedAt = performance.now();
  const settled = await analyticsSettled();

  const seconds = (acceptedAt - started) / 1000;
  console.log(
    `\nExperiment 2: 10,000 orders through POST /order at ${concurrency} concurrent requests\n`,
  );
  console.log(
    formatTable(["orders", "accepted", "accept s", "orders/s", "until all counted s", "counted"], [[
      String(TOTAL),
      String(statuses.get(202) ?? 0),
      seconds.toFixed(2),
      Math.round(TOTAL / seconds).toLocaleString("en-US"),
      ((countedAt - started) / 1000).toFixed(2),
      String(after.metrics.total_orders - before.metrics.total_orders),
    ]]),
  );
  assert.deepEqual(Object.fromEntries(statuses), { 202: TOTAL }, "every order accepted");
  assert.equal(orderIds.size, TOTAL, "10,000 distinct order ids");
  assert.equal(
    settled.metrics.total_orders - before.metrics.total_orders,
    TOTAL,
    "exactly 10,000 counted",
  );
  assert.equal(
    settled.operational.duplicates_ignored,
    before.operational.duplicates_ignored,
    "no order decided twice",
  );
});
