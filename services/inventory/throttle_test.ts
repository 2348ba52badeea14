import assert from "node:assert/strict";
import { waitProcessingDelay } from "./throttle.ts";

Deno.test("waitProcessingDelay() heartbeats between slices of a long delay", async () => {
  let heartbeats = 0;
  const started = performance.now();
  const done = await waitProcessingDelay({
    delaySeconds: () => 0.2,
    heartbeat: () => Promise.resolve(void heartbeats++),
    shouldStop: () => false,
    sliceMs: 20,
  });
  assert.equal(done, true);
  assert.ok(performance.now() - started >= 195);
  assert.ok(heartbeats >= 8, `${heartbeats} heartbeats`);
});

Deno.test("waitProcessingDelay() ends early when the delay is lowered meanwhile", async () => {
  let seconds = 3600;
  setTimeout(() => seconds = 0, 50);
  const started = performance.now();
  assert.equal(
    await waitProcessingDelay({
      delaySeconds: () => seconds,
      heartbeat: () => Promise.resolve(),
      shouldStop: () => false,
      sliceMs: 20,
    }),
    true,
  );
  assert.ok(performance.now() - started < 1_000);
});

Deno.test("waitProcessingDelay() returns false within a slice when asked to stop", async () => {
  let stopping = false;
  setTimeout(() => stopping = true, 50);
  const started = performance.now();
  assert.equal(
    await waitProcessingDelay({
      delaySeconds: () => 3600,
      heartbeat: () => Promise.resolve(),
      shouldStop: () => stopping,
      sliceMs: 20,
    }),
    false,
  );
  assert.ok(performance.now() - started < 1_000);
});
