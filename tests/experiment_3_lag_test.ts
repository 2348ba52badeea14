/**
 * Experiment 3, consumer lag: throttle the inventory consumer, send a burst, watch lag per
 * partition grow, remove the throttle, watch it drain; nothing is lost.
 */
import assert from "node:assert/strict";
import { adminHeaders, stack } from "./_support.ts";
import {
  analyticsReaches,
  analyticsSettled,
  experimentOrder,
  postBatches,
  sparkline,
} from "./_experiments.ts";

const BURST = 2_000;
const THROTTLE_SECONDS = 0.005;
const THRESHOLD = 500;

async function throttle(seconds: number): Promise<void> {
  const response = await fetch(`${stack.inventoryUrl}/admin/throttle`, {
    method: "POST",
    headers: adminHeaders(),
    body: JSON.stringify({ seconds }),
  });
  assert.equal(response.status, 200, await response.text());
}

async function lag(): Promise<{ total: number; partitions: Record<string, number> }> {
  return await (await fetch(`${stack.inventoryUrl}/lag`)).json();
}

Deno.test("experiment 3: lag rises under a throttled consumer and drains to 0 once it is lifted, nothing lost", async () => {
  const before = await analyticsSettled();
  const samples: { at: number; total: number; partitions: Record<string, number> }[] = [];
  const started = performance.now();
  const sample = async () =>
    samples.push({ at: (performance.now() - started) / 1000, ...(await lag()) });
  await throttle(THROTTLE_SECONDS);
  let liftedAt = 0;
  try {
    await postBatches(Array.from({ length: BURST }, (_, index) => experimentOrder("lag", index)));
    for (let tick = 0; tick < 40; tick++) {
      await sample();
      if (samples.at(-1)!.total > THRESHOLD && tick >= 8) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await throttle(0);
    liftedAt = (performance.now() - started) / 1000;
  }
  for (let tick = 0; tick < 240 && (samples.at(-1)?.total ?? 1) > 0; tick++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    await sample();
  }

  const peak = Math.max(...samples.map((entry) => entry.total));
  const partitions = Object.keys(samples[0]?.partitions ?? {});
  const maxPerPartition = Math.max(
    1,
    ...samples.flatMap((entry) => Object.values(entry.partitions)),
  );
  console.log(
    `\nExperiment 3: inventory lag, throttled at ${THROTTLE_SECONDS}s/message, ${BURST} orders, lifted at ${
      liftedAt.toFixed(1)
    } s`,
  );
  console.log(`one column per 250 ms sample, full bar = ${maxPerPartition} messages\n`);
  for (const partition of partitions) {
    const series = samples.map((entry) => entry.partitions[partition] ?? 0);
    console.log(
      `partition ${partition} |${sparkline(series, maxPerPartition)}| peak ${Math.max(...series)}`,
    );
  }
  console.log(
    `total       peak ${peak}, last ${samples.at(-1)?.total} after ${
      samples.at(-1)?.at.toFixed(1)
    } s`,
  );

  assert.ok(peak > THRESHOLD, `lag peaked at ${peak}, expected above ${THRESHOLD}`);
  assert.equal(samples.at(-1)?.total, 0, "lag drained to 0");
  const after = await analyticsReaches(before.metrics.total_orders + BURST);
  assert.equal(after.metrics.total_orders - before.metrics.total_orders, BURST, "nothing lost");
});
