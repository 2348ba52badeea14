import assert from "node:assert/strict";
import { eventually, GiveUp } from "./_support.ts";

Deno.test("eventually() retries a probe that throws, then returns its value", async () => {
  let calls = 0;
  const value = await eventually("the third call", () => {
    if (++calls < 3) throw new Error("not yet");
    return calls;
  }, { intervalMs: 1 });
  assert.equal(value, 3);
});

Deno.test("eventually() fails at once on GiveUp and on a failed assertion, not at its deadline", async () => {
  for (const fatal of [() => new GiveUp("counted too many"), () => new assert.AssertionError({})]) {
    const started = performance.now();
    await assert.rejects(
      eventually("never", () => {
        throw fatal();
      }, { timeoutMs: 10_000 }),
    );
    assert.ok(performance.now() - started < 1_000);
  }
});
