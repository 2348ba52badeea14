/**
 * Experiment 1, baseline latency: 100 sequential POST /order, with the latency distribution, and
 * every order reaching analytics.
 */
import assert from "node:assert/strict";
import {
  analyticsReaches,
  analyticsSettled,
  experimentOrder,
  formatTable,
  percentile,
  postOrder,
} from "./_experiments.ts";

Deno.test("experiment 1: 100 sequential orders are all accepted and all reach analytics", async () => {
  const before = await analyticsSettled();
  const latencies: number[] = [];
  const statuses: number[] = [];
  for (let index = 0; index < 100; index++) {
    const { status, ms } = await postOrder(experimentOrder("latency", index));
    statuses.push(status);
    latencies.push(ms);
  }
  const sorted = latencies.toSorted((a, b) => a - b);
  const ms = (value: number) => value.toFixed(2);
  console.log(`\nExperiment 1: baseline latency of POST /order, 100 sequential requests\n`);
  console.log(
    formatTable(["requests", "avg ms", "min ms", "max ms", "p50 ms", "p95 ms", "p99 ms"], [[
      "100",
      ms(latencies.reduce((sum, value) => sum + value, 0) / latencies.length),
      ms(sorted[0]!),
      ms(sorted.at(-1)!),
      ms(percentile(sorted, 0.5)),
      ms(percentile(sorted, 0.95)),
      ms(percentile(sorted, 0.99)),
    ]]),
  );
  assert.deepEqual(statuses.filter((status) => status !== 202), [], "every answer is 202");
  const after = await analyticsReaches(before.metrics.total_orders + 100);
  assert.equal(
    after.metrics.total_orders - before.metrics.total_orders,
    100,
    "every order reached analytics once",
  );
});
