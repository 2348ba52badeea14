import assert from "node:assert/strict";
import { type CheckInput, checkRun, type Decision } from "./checker.ts";
import type { Operation } from "./history.ts";

let nextOp = 0;
function op(
  user: string,
  outcome: Operation["outcome"],
  extra: Partial<Operation> = {},
): Operation {
  const at = 1_000 + nextOp * 10;
  return {
    op: nextOp++,
    order: Number(user.replace(/\D/g, "")),
    attempt: 1,
    key: `key-${user}`,
    body: { user_id: user, item: "pizza", quantity: 1 },
    valid: true,
    intendedAt: at,
    sentAt: at,
    doneAt: at + 5,
    outcome,
    ...(outcome === "accepted" ? { status: 202, orderId: `id-${user}` } : {}),
    ...extra,
  };
}

function decision(user: string, offset: number, extra: Partial<Decision> = {}): Decision {
  return {
    orderId: `id-${user}`,
    userId: user,
    item: "pizza",
    quantity: 1,
    outcome: "reserved",
    remaining: 10 - (offset + 1),
    partition: 0,
    offset,
    decidedAt: 2_000 + offset,
    ...extra,
  };
}

/** A consistent run of `count` accepted pizza orders from a stock of 10. */
function cleanRun(count: number): CheckInput {
  const users = Array.from({ length: count }, (_, index) => `u${index}`);
  return {
    operations: users.map((user) => op(user, "accepted")),
    placed: users.map((user) => ({ orderId: `id-${user}`, userId: user })),
    decisions: users.map((user, index) => decision(user, index)),
    initialStock: { pizza: 10 },
    inventoryRemaining: { pizza: 10 - count },
    analytics: {
      total_orders: count,
      successful_orders: count,
      failed_orders: 0,
      failure_reasons: {},
    },
  };
}

Deno.test("a consistent run has no findings", () => {
  const report = checkRun(cleanRun(3));
  assert.equal(report.ok, true);
  assert.equal(report.counts.accepted, 3);
  assert.equal(report.counts.reserved, 3);
  for (const finding of Object.values(report.findings)) assert.equal(finding.count, 0);
});

Deno.test("an order answered 2xx without a decision is lost", () => {
  const run = cleanRun(3);
  const report = checkRun({
    ...run,
    decisions: run.decisions.slice(0, 2),
    placed: run.placed.slice(0, 2),
    inventoryRemaining: { pizza: 8 },
    analytics: { ...run.analytics!, total_orders: 2, successful_orders: 2 },
  });
  assert.equal(report.findings.lost.count, 1);
  assert.match(report.findings.lost.examples[0]!, /id-u2/);
  assert.equal(report.ok, false);
});

Deno.test("two decisions of one order, or one request decided under two ids, are duplicates", () => {
  const run = cleanRun(2);
  const twice = checkRun({
    ...run,
    decisions: [...run.decisions, decision("u1", 2, { remaining: 7 })],
  });
  assert.equal(twice.findings.duplicate.count, 1);

  const twoIds = checkRun({
    ...run,
    operations: [...run.operations, op("u1", "no_answer", { attempt: 2 })],
    decisions: [...run.decisions, decision("u1", 2, { orderId: "other-id", remaining: 7 })],
  });
  assert.equal(twoIds.findings.duplicate.count, 1);
  assert.match(twoIds.findings.duplicate.examples[0]!, /u1 became 2 orders/);
});

Deno.test("a decision no request could have caused is a phantom", () => {
  const run = cleanRun(1);
  const report = checkRun({
    ...run,
    operations: [
      ...run.operations,
      op("u5", "rejected", { status: 400 }),
      op("u6", "unavailable", { status: 503, mayHaveBeenWritten: false }),
      op("u7", "accepted", { body: { user_id: "u7", item: "pizza", quantity: 2 } }),
    ],
    decisions: [
      ...run.decisions,
      decision("u5", 1, { remaining: 8 }),
      decision("u6", 2, { remaining: 7 }),
      decision("u7", 3, { remaining: 6 }), // quantity 1 decided, 2 sent
      decision("u9", 4, { remaining: 5 }), // nobody sent u9
    ],
    inventoryRemaining: { pizza: 5 },
  });
  assert.equal(report.findings.phantom.count, 4);
  // A phantom's place in time is its first send, not "never": later orders are not reordered.
  assert.equal(report.findings.reordered.count, 0);
});

Deno.test("an order without a definite answer is unresolved, never a failure", () => {
  const run = cleanRun(1);
  const report = checkRun({
    ...run,
    operations: [
      ...run.operations,
      op("u1", "no_answer"),
      op("u2", "unavailable", { status: 503, mayHaveBeenWritten: true }),
    ],
    decisions: [...run.decisions, decision("u1", 1, { remaining: 8 })],
    placed: [...run.placed, { orderId: "id-u1", userId: "u1" }],
    inventoryRemaining: { pizza: 8 },
    analytics: { ...run.analytics!, total_orders: 2, successful_orders: 2 },
  });
  assert.deepEqual(report.unresolved, { count: 2, decided: 1 });
  assert.equal(report.ok, true);
});

Deno.test("stock: oversold items, wrong remaining, refusals with stock left, final drift", () => {
  const run = cleanRun(3);
  const oversold = checkRun({
    ...run,
    initialStock: { pizza: 2 },
    decisions: run.decisions.map((d, index) => ({ ...d, remaining: 1 - index })),
    inventoryRemaining: { pizza: 0 },
  });
  assert.equal(oversold.findings.oversold.count, 1);
  assert.match(oversold.findings.oversold.examples[0]!, /pizza: 3 reserved of 2/);

  const wrongRemaining = checkRun({
    ...run,
    decisions: run.decisions.map((d, index) => index === 1 ? { ...d, remaining: 9 } : d),
  });
  assert.equal(wrongRemaining.findings.stock_drift.count, 1);

  const refused = checkRun({
    ...run,
    decisions: run.decisions.map((d, index) =>
      index === 2 ? { ...d, outcome: "failed" as const, reason: "out_of_stock" } : d
    ),
    inventoryRemaining: { pizza: 8 },
    analytics: {
      ...run.analytics!,
      successful_orders: 2,
      failed_orders: 1,
      failure_reasons: { out_of_stock: 1 },
    },
  });
  assert.equal(refused.findings.wrong_decision.count, 1);
  assert.match(refused.findings.wrong_decision.examples[0]!, /refused as out_of_stock with 8 left/);

  const finalDrift = checkRun({ ...run, inventoryRemaining: { pizza: 6 } });
  assert.equal(finalDrift.findings.stock_drift.count, 1);
  assert.equal(checkRun({ ...run, inventoryRemaining: undefined }).findings.stock_drift.count, 1);
});

Deno.test("an order acknowledged before another was sent must be decided first", () => {
  const run = cleanRun(2);
  // u0 was sent after u1 was acknowledged, yet u0 sits before u1 on the partition.
  const operations = [
    op("u1", "accepted", { sentAt: 100, doneAt: 110 }),
    op("u0", "accepted", { sentAt: 200, doneAt: 210 }),
  ];
  const report = checkRun({ ...run, operations });
  assert.equal(report.findings.reordered.count, 1);
  // Concurrent requests may be decided in either order.
  const concurrent = [
    op("u1", "accepted", { sentAt: 100, doneAt: 300 }),
    op("u0", "accepted", { sentAt: 200, doneAt: 310 }),
  ];
  assert.equal(checkRun({ ...run, operations: concurrent }).findings.reordered.count, 0);
});

Deno.test("analytics figures must equal a recount of inventory-events", () => {
  const run = cleanRun(2);
  const report = checkRun({
    ...run,
    analytics: { ...run.analytics!, total_orders: 3, failure_reasons: { out_of_stock: 1 } },
  });
  assert.equal(report.findings.analytics_mismatch.count, 2);
  assert.equal(checkRun({ ...run, analytics: undefined }).findings.analytics_mismatch.count, 1);
});

Deno.test("an order on order-events that was never decided is undecided", () => {
  const run = cleanRun(1);
  const report = checkRun({
    ...run,
    operations: [...run.operations, op("u3", "no_answer")],
    placed: [...run.placed, { orderId: "id-u3", userId: "u3" }],
  });
  assert.equal(report.findings.undecided.count, 1);
});

Deno.test("an item not on the menu must fail as unknown_item, a menu item never does", () => {
  const run = cleanRun(2);
  const report = checkRun({
    ...run,
    decisions: [
      run.decisions[0]!,
      { ...run.decisions[1]!, outcome: "failed", reason: "unknown_item", remaining: undefined },
      decision("u2", 2, { item: "lobster", remaining: 7 }),
    ],
    operations: [
      ...run.operations,
      op("u2", "accepted", { body: { user_id: "u2", item: "lobster", quantity: 1 } }),
    ],
  });
  assert.equal(report.findings.wrong_decision.count, 2);
});

Deno.test("answers must match the request: 2xx only for valid orders and with an order_id", () => {
  const run = cleanRun(1);
  const report = checkRun({
    ...run,
    operations: [
      ...run.operations,
      op("u5", "accepted", { valid: false, body: { user_id: "u5", item: "pizza", quantity: 0 } }),
      op("u6", "rejected", { status: 400 }),
      op("u7", "accepted", { orderId: undefined }),
    ],
    invalidRecords: 2,
  });
  assert.equal(report.findings.wrong_answer.count, 3);
  assert.equal(report.findings.invalid_event.count, 1);
  // u7's 2xx carried no order_id and nothing was decided for it: still lost.
  assert.ok(report.findings.lost.examples.some((example) => example.includes("(u7)")));
});
