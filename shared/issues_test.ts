import assert from "node:assert/strict";
import { z } from "zod";
import { describeIssues, placeOf } from "./issues.ts";

const Order = z.strictObject({
  item: z.string().min(1, { error: "item must not be empty" }),
  quantity: z.number({ error: "must be a number" }),
});
const Batch = z.strictObject({ orders: z.array(Order) });

Deno.test("placeOf() writes paths as people do", () => {
  assert.equal(placeOf(["orders", 2, "item"]), "orders[2].item");
  assert.equal(placeOf([]), "");
});

Deno.test("describeIssues() names each place, once", () => {
  const result = Batch.safeParse({
    orders: [{ item: "", quantity: "x" }, { item: "a", extra: 1 }],
  });
  assert.ok(!result.success);
  assert.equal(
    describeIssues(result.error.issues, { messagesNameTheirField: true }),
    "orders[0]: item must not be empty; orders[0]: must be a number; " +
      'orders[1]: must be a number; orders[1]: Unrecognized key: "extra"',
  );
  assert.equal(
    describeIssues(result.error.issues, { root: "(root)" }).split("; ")[0],
    "orders[0].item: item must not be empty",
  );
});

Deno.test("describeIssues() calls an issue about the whole value by its root name", () => {
  const result = Order.safeParse({ item: "a", quantity: 1, extra: true });
  assert.ok(!result.success);
  assert.equal(
    describeIssues(result.error.issues, { root: "body" }),
    'body: Unrecognized key: "extra"',
  );
});
