/** Experiment 4, replay: the analytics metrics are identical after replaying the log from the start. */
import assert from "node:assert/strict";
import { adminHeaders, stack } from "./_support.ts";
import { analyticsSettled, formatTable } from "./_experiments.ts";

Deno.test("experiment 4: replaying inventory-events from the beginning gives identical metrics", async () => {
  const before = await analyticsSettled();
  const started = performance.now();
  const response = await fetch(`${stack.analyticsUrl}/replay?wait=true`, {
    method: "POST",
    headers: adminHeaders(),
  });
  const after = await response.json();
  const seconds = (performance.now() - started) / 1000;
  assert.equal(response.status, 200, JSON.stringify(after));

  console.log(
    `\nExperiment 4: replay of inventory-events (${after.operational.events_consumed} events in ${
      seconds.toFixed(2)
    } s)\n`,
  );
  const keys = [
    "total_orders",
    "successful_orders",
    "failed_orders",
    "failure_rate_percent",
    "orders_per_minute",
    "first_order_at",
    "last_order_at",
  ];
  console.log(
    formatTable(
      ["metric", "before", "after"],
      keys.map((key) => [key, String(before.metrics[key]), String(after.metrics[key])]),
    ),
  );
  assert.equal(
    JSON.stringify(after.metrics),
    JSON.stringify(before.metrics),
    "identical to the byte",
  );
});
