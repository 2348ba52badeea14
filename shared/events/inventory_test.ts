import assert from "node:assert/strict";
import { decodeEvent, encodeEvent } from "./codec.ts";
import { InventoryEvent, type InventoryFailed, type InventoryReserved } from "./inventory.ts";
import reservedJson from "./fixtures/inventory_reserved.v1.json" with { type: "json" };
import failedJson from "./fixtures/inventory_failed.v1.json" with { type: "json" };

const reserved: InventoryReserved = {
  event_id: "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d",
  schema_version: 1,
  occurred_at: "2026-11-27T08:00:00.250Z",
  order_id: "0b5e2a1c-3d4f-5a6b-8c7d-9e0f1a2b3c4d",
  user_id: "student-42",
  item: "pizza",
  quantity: 2,
  order_placed_at: "2026-11-27T08:00:00.000Z",
  causation_id: "4f9c2d4e-8a57-4d0b-9a3e-1f2b3c4d5e6f",
  event_type: "InventoryReserved",
  remaining: 98,
};

const failed: InventoryFailed = {
  event_id: "7c8d9e0f-1a2b-4c3d-9e4f-5a6b7c8d9e0f",
  schema_version: 1,
  occurred_at: "2026-11-27T08:00:01.500Z",
  order_id: "1c6f3b2d-4e5a-5b6c-9d8e-0f1a2b3c4d5e",
  user_id: "student-7",
  item: "lobster",
  quantity: 1,
  order_placed_at: "2026-11-27T08:00:01.000Z",
  causation_id: "5a0d3e5f-9b68-4e1c-8b4f-2a3c4d5e6f70",
  event_type: "InventoryFailed",
  reason: "unknown_item",
};

Deno.test("encodeEvent() writes InventoryReserved v1 byte for byte as the golden fixture", () => {
  assert.equal(encodeEvent(InventoryEvent, reserved), JSON.stringify(reservedJson));
});

Deno.test("encodeEvent() writes InventoryFailed v1 byte for byte as the golden fixture", () => {
  assert.equal(encodeEvent(InventoryEvent, failed), JSON.stringify(failedJson));
});

Deno.test("decodeEvent() tells the two inventory events apart by event_type", () => {
  assert.deepEqual(decodeEvent(InventoryEvent, JSON.stringify(reservedJson)), {
    ok: true,
    event: reserved,
  });
  assert.deepEqual(decodeEvent(InventoryEvent, JSON.stringify(failedJson)), {
    ok: true,
    event: failed,
  });
});

Deno.test("InventoryEvent rejects a result with the other variant's field or an unknown reason", () => {
  assert.equal(InventoryEvent.safeParse({ ...reserved, reason: "out_of_stock" }).success, false);
  assert.equal(InventoryEvent.safeParse({ ...failed, reason: "sold_out" }).success, false);
  assert.equal(InventoryEvent.safeParse({ ...reserved, remaining: -1 }).success, false);
});
