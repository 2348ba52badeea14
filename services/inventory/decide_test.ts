import assert from "node:assert/strict";
import { OrderPlaced } from "@campus/shared/events/order_placed";
import goldenOrder from "../../shared/events/fixtures/order_placed.v1.json" with { type: "json" };
import { type DecideContext, decideMessage } from "./decide.ts";

// The golden OrderPlaced v1 fixture: the same order the wire-format tests pin.
const order: OrderPlaced = OrderPlaced.parse(goldenOrder);

const context = (overrides: Partial<DecideContext> = {}): DecideContext => ({
  stock: new Map([["pizza", 5]]),
  isDecided: () => false,
  partitionFor: () => 1,
  newId: () => "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d",
  now: () => new Date("2026-11-27T08:00:01.000Z"),
  ...overrides,
});

const message = (value: string | null, partition = 1) => ({
  partition,
  offset: "7",
  key: "pizza",
  value,
});

Deno.test("decideMessage() reserves and builds InventoryReserved tied to its order", () => {
  const { outcome, stock } = decideMessage(message(JSON.stringify(order)), context());
  assert.equal(stock.get("pizza"), 3);
  assert.ok(outcome.kind === "decided");
  assert.deepEqual(outcome.event, {
    event_id: "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d",
    schema_version: 1,
    occurred_at: "2026-11-27T08:00:01.000Z",
    order_id: order.order_id,
    user_id: "student-42",
    item: "pizza",
    quantity: 2,
    order_placed_at: order.occurred_at,
    causation_id: order.event_id,
    event_type: "InventoryReserved",
    remaining: 3,
  });
});

Deno.test("decideMessage() drops an order whose order_id was already decided, leaving stock alone", () => {
  const { outcome, stock } = decideMessage(
    message(JSON.stringify(order)),
    context({ isDecided: () => true }),
  );
  assert.equal(outcome.kind, "duplicate");
  assert.equal(stock.get("pizza"), 5);
});

Deno.test("decideMessage() dead-letters garbage, schema violations and empty values with the reason", () => {
  const reasons = ["{oops", JSON.stringify({ ...order, quantity: 0 }), null].map((value) => {
    const { outcome } = decideMessage(message(value), context());
    return outcome.kind === "dead_letter" ? outcome.reason : outcome.kind;
  });
  assert.deepEqual(reasons, ["invalid_json", "schema_mismatch", "empty"]);
});

Deno.test("decideMessage() dead-letters an order found on another partition than its item's", () => {
  const { outcome } = decideMessage(message(JSON.stringify(order), 0), context());
  assert.ok(outcome.kind === "dead_letter" && outcome.reason === "misrouted");
  assert.match(outcome.detail, /Item "pizza" belongs to partition 1, found on partition 0/);
});
