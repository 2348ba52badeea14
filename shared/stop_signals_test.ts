import assert from "node:assert/strict";
import { listenForStop } from "./stop_signals.ts";

function recorder() {
  let clock = 0;
  const calls: string[] = [];
  const listener = listenForStop({
    onStop: (reason) => calls.push(`stop ${reason}`),
    onForce: (reason) => calls.push(`force ${reason}`),
    repeatWithinMs: 1_000,
    now: () => clock,
  });
  return {
    calls,
    listener,
    at(ms: number, reason: string) {
      clock = ms;
      listener.request(reason);
    },
  };
}

Deno.test("listenForStop() counts a signal delivered twice to a process group as one request", () => {
  const { calls, listener, at } = recorder();
  using _ = listener;
  at(0, "SIGTERM");
  at(3, "SIGTERM");
  assert.deepEqual(calls, ["stop SIGTERM"]);
});

Deno.test("listenForStop() forces on a second request a second later, and on each after it", () => {
  const { calls, listener, at } = recorder();
  using _ = listener;
  at(0, "SIGINT");
  at(1_500, "SIGINT");
  at(1_502, "SIGINT"); // the group's echo of the second Ctrl-C
  at(4_000, "SIGTERM");
  assert.deepEqual(calls, ["stop SIGINT", "force SIGINT", "force SIGTERM"]);
});

Deno.test("listenForStop() forces when presses keep coming less than the window apart", () => {
  const { calls, listener, at } = recorder();
  using _ = listener;
  at(0, "SIGINT");
  at(600, "SIGINT");
  at(1_200, "SIGINT");
  assert.deepEqual(calls, ["stop SIGINT", "force SIGINT"]);
});
