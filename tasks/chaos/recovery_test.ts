import assert from "node:assert/strict";
import type { Decision } from "./checker.ts";
import type { Operation } from "./history.ts";
import { CountedClock, faultTable, recoveries } from "./recovery.ts";
import type { Sample } from "./sampler.ts";
import type { Episode } from "./schedule.ts";

const episode: Episode = { index: 0, at: 1, kind: "kill", target: "inventory", holdSeconds: 2 };

/** An order every 100 ms from 0 to 10 s; inventory decides nothing between 1 s and 4 s. */
function stalledRun() {
  const operations: Operation[] = [];
  const decisions: Decision[] = [];
  for (let at = 0; at < 10_000; at += 100) {
    const index = at / 100;
    operations.push({
      op: index,
      order: index,
      attempt: 1,
      key: `k${index}`,
      body: { user_id: `u${index}`, item: "pizza", quantity: 1 },
      valid: true,
      intendedAt: at,
      sentAt: at,
      doneAt: at + 5,
      outcome: at >= 1_000 && at < 1_500 ? "unavailable" : "accepted",
      ...(at >= 1_000 && at < 1_500 ? { status: 503, mayHaveBeenWritten: false } : {
        status: 202,
        orderId: `id${index}`,
      }),
    });
    if (at >= 1_000 && at < 1_500) continue;
    decisions.push({
      orderId: `id${index}`,
      userId: `u${index}`,
      item: "pizza",
      quantity: 1,
      outcome: "reserved",
      remaining: 0,
      partition: 0,
      offset: index,
      // Orders sent during the stall are decided when inventory is back at 4 s.
      decidedAt: at >= 1_000 && at < 4_000 ? 4_000 + index : at + 10,
    });
  }
  // Analytics counts everything decided, sampled every 250 ms.
  const samples: Sample[] = [];
  for (let at = 0; at <= 12_000; at += 250) {
    samples.push({
      at,
      inventoryLag: 0,
      analyticsTotal: decisions.filter((decision) => decision.decidedAt <= at).length,
      analyticsLag: 0,
    });
  }
  return { operations, decisions, samples };
}

Deno.test("recovery ends when every order flows end to end again", () => {
  const { operations, decisions, samples } = stalledRun();
  const [recovery] = recoveries(
    [{ episode, injectedAt: 1_000, healedAt: 3_000 }],
    operations,
    decisions,
    samples,
  );
  // Orders sent from 3.1 s on are counted within 1 s (at 4.0-4.25 s); the first is counted at
  // the 4.25 s sample, so flow is back 3.25 s after the fault began.
  assert.equal(recovery!.recoveryMs, 3_250);
  assert.equal(recovery!.unavailable, 5);
});

Deno.test("a fault after which orders never flow again has no recovery time", () => {
  const { operations, decisions } = stalledRun();
  const frozen: Sample[] = [{ at: 0, inventoryLag: 0, analyticsTotal: 0, analyticsLag: 0 }];
  const [recovery] = recoveries(
    [{ episode, injectedAt: 1_000, healedAt: 3_000 }],
    operations,
    decisions,
    frozen,
  );
  assert.equal(recovery!.recoveryMs, undefined);
  const [row] = faultTable([recovery!]);
  assert.equal(row!.neverRecovered, 1);
  assert.equal(row!.fault, "kill -9 inventory");
});

Deno.test("an order counts as counted at the first sample showing as many orders", () => {
  const decisions = [10, 20, 30].map((decidedAt, index) => ({
    orderId: `o${index}`,
    userId: `u${index}`,
    item: "pizza",
    quantity: 1,
    outcome: "reserved" as const,
    partition: 0,
    offset: index,
    decidedAt,
  }));
  const clock = new CountedClock(decisions, [
    { at: 0, inventoryLag: 0, analyticsTotal: 0, analyticsLag: 0 },
    { at: 25, inventoryLag: 0, analyticsTotal: 1, analyticsLag: 1 },
    { at: 50, inventoryLag: null, analyticsTotal: null, analyticsLag: null },
    { at: 75, inventoryLag: 0, analyticsTotal: 3, analyticsLag: 0 },
  ]);
  assert.equal(clock.countedAt(10), 25);
  assert.equal(clock.countedAt(20), 75);
  assert.equal(clock.countedAt(99), undefined);
});

Deno.test("a fault that stalls nothing before the next fault begins recovers in 0 s", () => {
  const { operations, decisions, samples } = stalledRun();
  const [early, stalling] = recoveries(
    [
      { episode, injectedAt: 0, healedAt: 500 },
      { episode: { ...episode, index: 1 }, injectedAt: 900, healedAt: 3_000 },
    ],
    operations,
    decisions,
    samples,
  );
  assert.equal(early!.recoveryMs, 0);
  assert.equal(stalling!.recoveryMs, 3_350);
});
