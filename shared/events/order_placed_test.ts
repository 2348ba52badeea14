import assert from "node:assert/strict";
import { decodeEvent, encodeEvent } from "./codec.ts";
import { OrderPlaced } from "./order_placed.ts";

import goldenJson from "./fixtures/order_placed.v1.json" with { type: "json" };

// The fixture is stored compact (fmt leaves fixtures alone), so this is its exact text: key order included.
const golden = JSON.stringify(goldenJson);

const event: OrderPlaced = {
  event_id: "4f9c2d4e-8a57-4d0b-9a3e-1f2b3c4d5e6f",
  event_type: "OrderPlaced",
  schema_version: 1,
  occurred_at: "2026-11-27T08:00:00.000Z",
  order_id: "0b5e2a1c-3d4f-5a6b-8c7d-9e0f1a2b3c4d",
  user_id: "student-42",
  item: "pizza",
  quantity: 2,
};

Deno.test("encodeEvent() writes OrderPlaced v1 byte for byte as the golden fixture", () => {
  assert.equal(encodeEvent(OrderPlaced, event), golden);
});

Deno.test("decodeEvent() reads the golden OrderPlaced v1 fixture", () => {
  assert.deepEqual(decodeEvent(OrderPlaced, golden), { ok: true, event });
});

Deno.test("encodeEvent() refuses an event our code built wrong", () => {
  assert.throws(() => encodeEvent(OrderPlaced, { ...event, quantity: 0 }));
});

Deno.test("decodeEvent() names what is wrong instead of throwing", () => {
  const garbage = decodeEvent(OrderPlaced, "{not json");
  assert.ok(!garbage.ok && garbage.reason === "invalid_json");
  assert.match(garbage.detail, /^Cannot parse JSON: /);
  const wrong = decodeEvent(
    OrderPlaced,
    JSON.stringify({ ...event, occurred_at: "yesterday", extra: 1 }),
  );
  assert.equal(wrong.ok, false);
  assert.ok(!wrong.ok && wrong.reason === "schema_mismatch");
  assert.match(!wrong.ok ? wrong.detail : "", /occurred_at: must be an ISO-8601 UTC timestamp/);
  assert.match(!wrong.ok ? wrong.detail : "", /Unrecognized key: "extra"/);
  assert.deepEqual(decodeEvent(OrderPlaced, new Uint8Array()), {
    ok: false,
    reason: "empty",
    detail: "Message has no value",
  });
});

Deno.test("OrderPlaced rejects timestamps with an offset: events carry UTC only", () => {
  assert.equal(
    OrderPlaced.safeParse({ ...event, occurred_at: "2026-11-27T09:00:00+01:00" }).success,
    false,
  );
});

Deno.test("OrderPlaced rejects a lone surrogate, as the API does, and keeps real emoji", () => {
  const lone = decodeEvent(OrderPlaced, JSON.stringify({ ...event, item: "pizza\ud83c" }));
  assert.ok(!lone.ok && lone.reason === "schema_mismatch");
  assert.match(!lone.ok ? lone.detail : "", /item must be valid Unicode text/);
  assert.equal(OrderPlaced.safeParse({ ...event, item: "pizza \u{1F355}" }).success, true);
});
