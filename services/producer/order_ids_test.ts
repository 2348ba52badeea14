import assert from "node:assert/strict";
import { IDEMPOTENCY_KEY, orderIdForKey, uuidV5 } from "./order_ids.ts";

Deno.test("uuidV5() matches the RFC 9562 example for the DNS namespace", async () => {
  // RFC 9562, appendix A.4: UUIDv5 of "www.example.com" in the DNS namespace.
  assert.equal(
    await uuidV5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com"),
    "2ed6657d-e927-568b-95e1-2665a8aea6a2",
  );
});

Deno.test("orderIdForKey() is the same for the same user, key and order, different otherwise", async () => {
  const order = { user_id: "u1", item: "pizza", quantity: 1 };
  const id = await orderIdForKey(order, "key");
  assert.equal(await orderIdForKey({ ...order }, "key"), id);
  assert.notEqual(await orderIdForKey({ ...order, user_id: "u2" }, "key"), id);
  assert.notEqual(await orderIdForKey(order, "key2"), id);
  assert.notEqual(await orderIdForKey(order, "key", 0), id);
  assert.notEqual(await orderIdForKey(order, "key", 0), await orderIdForKey(order, "key", 1));
});

Deno.test("orderIdForKey() gives a key reused for a different order a different id", async () => {
  const order = { user_id: "u1", item: "pizza", quantity: 1 };
  const id = await orderIdForKey(order, "key");
  assert.notEqual(await orderIdForKey({ ...order, quantity: 2 }, "key"), id);
  assert.notEqual(await orderIdForKey({ ...order, item: "soup" }, "key"), id);
});

Deno.test("IDEMPOTENCY_KEY accepts UUIDs and rejects spaces, control characters and overlong keys", () => {
  assert.ok(IDEMPOTENCY_KEY.test(crypto.randomUUID()));
  assert.ok(!IDEMPOTENCY_KEY.test("a b"));
  assert.ok(!IDEMPOTENCY_KEY.test("a\tb"));
  assert.ok(!IDEMPOTENCY_KEY.test(""));
  assert.ok(!IDEMPOTENCY_KEY.test("k".repeat(129)));
});
