import assert from "node:assert/strict";
import { DecidedOrders } from "./decided.ts";

Deno.test("DecidedOrders forgets only ids decided before the cutoff", () => {
  const decided = new DecidedOrders();
  decided.add("a", 100);
  decided.add("b", 200);
  decided.add("c", 300);
  assert.equal(decided.forgetBefore(250), 2);
  assert.deepEqual(["a", "b", "c"].map((id) => decided.has(id)), [false, false, true]);
  assert.equal(decided.size, 1);
});
