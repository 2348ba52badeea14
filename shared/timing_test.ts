import assert from "node:assert/strict";
import { deadline, poll, sleep } from "./timing.ts";

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

Deno.test("poll() retries a throwing probe until it gives a value", async () => {
  let calls = 0;
  const value = await poll("the third call", () => {
    if (++calls < 3) throw new Error("not yet");
    return calls;
  }, { timeoutMs: 1_000, intervalMs: 1 });
  assert.equal(value, 3);
});

Deno.test("poll() names what it waited for, what it saw and the last error when it times out", async () => {
  await assert.rejects(
    poll("the broker", () => {
      throw new Error("connection refused");
    }, { timeoutMs: 30, intervalMs: 5, lastSeen: () => ({ tries: 3 }) }),
    /Timed out after 30 ms waiting for the broker\. Last seen: \{"tries":3\}\. Last error: connection refused/,
  );
});

Deno.test("poll() ends at once on a fatal error", async () => {
  const started = performance.now();
  await assert.rejects(
    poll("never", () => {
      throw new RangeError("counted too many");
    }, { timeoutMs: 10_000, isFatal: (error) => error instanceof RangeError }),
    RangeError,
  );
  assert.ok(performance.now() - started < 1_000);
});
