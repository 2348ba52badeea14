import assert from "node:assert/strict";
import { DecidedOrders } from "./decided.ts";

const MINUTE = 60_000;

Deno.test("DecidedOrders forgets only ids decided before the cutoff's minute", () => {
  const decided = new DecidedOrders();
  decided.add("a", 1 * MINUTE);
  decided.add("b", 2 * MINUTE);
  decided.add("c", 3 * MINUTE + 5);
  assert.equal(decided.forgetBefore(3 * MINUTE), 2);
  assert.deepEqual(["a", "b", "c"].map((id) => decided.has(id)), [false, false, true]);
  assert.equal(decided.size, 1);
});

Deno.test("DecidedOrders past its bound forgets the oldest decisions first, and only those", () => {
  const decided = new DecidedOrders(3);
  for (const id of ["a", "b", "c", "d", "e"]) decided.add(id, MINUTE);
  assert.equal(decided.size, 3);
  assert.deepEqual(["a", "b", "c", "d", "e"].map((id) => decided.has(id)), [
    false,
    false,
    true,
    true,
    true,
  ]);
});

// Heap figures mean something only after a full collection: `deno task test` exposes gc() to the
// unit tests (--v8-flags=--expose-gc); without it this test is reported as ignored.
const gc = (globalThis as { gc?: () => void }).gc;

Deno.test({
  name: "DecidedOrders holds its bound in memory for 300,000 decisions",
  ignore: gc === undefined,
}, () => {
  const decided = new DecidedOrders(10_000);
  gc!();
  const before = Deno.memoryUsage().heapUsed;
  for (let index = 0; index < 300_000; index++) {
    decided.add(crypto.randomUUID(), index * 10);
  }
  gc!();
  const grownMb = (Deno.memoryUsage().heapUsed - before) / 1024 / 1024;
  assert.equal(decided.size, 10_000);
  // 10,000 ids are about 1 MB; 300,000 unbounded would be about 24 MB.
  assert.ok(grownMb < 6, `heap grew ${grownMb.toFixed(1)} MB`);
});

Deno.test("DecidedOrders moves an id decided again to the newest end, as its changelog record", () => {
  const decided = new DecidedOrders(2);
  decided.add("a", 1 * MINUTE);
  decided.add("b", 2 * MINUTE);
  decided.add("a", 3 * MINUTE); // the same order in a later changelog record
  decided.add("c", 4 * MINUTE); // the bound now forgets the oldest: b, not a
  assert.deepEqual(["a", "b", "c"].map((id) => decided.has(id)), [true, false, true]);
});
