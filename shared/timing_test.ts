import assert from "node:assert/strict";
import { deadline, sleep } from "./timing.ts";

Deno.test("sleep() ends early when its signal aborts", async () => {
  const stop = new AbortController();
  setTimeout(() => stop.abort(), 10);
  const started = performance.now();
  await sleep(10_000, stop.signal);
  assert.ok(performance.now() - started < 1_000);
});

Deno.test("deadline() passes a value through and rejects with the given error when late", async () => {
  assert.equal(await deadline(Promise.resolve(7), 1_000, () => new Error("late")), 7);
  await assert.rejects(
    deadline(new Promise(() => {}), 10, () => new Error("Kafka did not answer within 10 ms")),
    /within 10 ms/,
  );
});
