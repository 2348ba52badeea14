import assert from "node:assert/strict";
import type { InventoryEvent } from "@campus/shared/events/inventory";
import { computeMetrics } from "./metrics.ts";

let sequence = 0;
function decision(
  placedAt: string,
  outcome: "reserved" | "out_of_stock" | "unknown_item",
  overrides: Partial<{ order_id: string; item: string }> = {},
): InventoryEvent {
  sequence++;
  const common = {
    event_id: crypto.randomUUID(),
    schema_version: 1 as const,
    occurred_at: "2026-11-27T09:00:00.000Z",
    order_id: overrides.order_id ?? crypto.randomUUID(),
    user_id: `u${sequence}`,
    item: overrides.item ?? "pizza",
    quantity: 1,
    order_placed_at: placedAt,
    causation_id: crypto.randomUUID(),
  };
  return outcome === "reserved"
    ? { ...common, event_type: "InventoryReserved", remaining: 1 }
    : { ...common, event_type: "InventoryFailed", reason: outcome };
}

Deno.test("computeMetrics() of an empty stream is all zeros and no times", () => {
  assert.deepEqual(computeMetrics([]), {
    total_orders: 0,
    successful_orders: 0,
    failed_orders: 0,
    failure_rate_percent: 0,
    orders_per_minute: 0,
    per_minute: {},
    per_item: {},
    failure_reasons: {},
    first_order_at: null,
    last_order_at: null,
  });
});

Deno.test("computeMetrics() of one event counts it over the one-minute floor", () => {
  const metrics = computeMetrics([decision("2026-11-27T08:00:30.000Z", "reserved")]);
  assert.equal(metrics.total_orders, 1);
  assert.equal(metrics.orders_per_minute, 1);
  assert.deepEqual(metrics.per_minute, { "2026-11-27T08:00Z": 1 });
  assert.equal(metrics.first_order_at, "2026-11-27T08:00:30.000Z");
  assert.equal(metrics.last_order_at, "2026-11-27T08:00:30.000Z");
});

Deno.test("computeMetrics() is the same whatever the events' time order", () => {
  const events = [
    decision("2026-11-27T08:04:00.000Z", "reserved", { item: "soup" }),
    decision("2026-11-27T08:00:00.000Z", "out_of_stock"),
    decision("2026-11-27T08:02:00.000Z", "unknown_item", { item: "lobster" }),
  ];
  const forward = computeMetrics(events);
  assert.equal(JSON.stringify(computeMetrics(events.toReversed())), JSON.stringify(forward));
  assert.equal(forward.first_order_at, "2026-11-27T08:00:00.000Z");
  assert.equal(forward.last_order_at, "2026-11-27T08:04:00.000Z");
  assert.equal(forward.orders_per_minute, 0.75, "3 orders over a 4-minute span");
  assert.equal(forward.failure_rate_percent, 66.67);
  assert.deepEqual(forward.failure_reasons, { out_of_stock: 1, unknown_item: 1 });
  assert.deepEqual(Object.keys(forward.per_item), ["lobster", "pizza", "soup"]);
  assert.deepEqual(forward.per_item.soup, { total: 1, successful: 1, failed: 0 });
});

Deno.test("computeMetrics() buckets by the minute of order_placed_at, boundaries included", () => {
  const metrics = computeMetrics([
    decision("2026-11-27T08:00:59.999Z", "reserved"),
    decision("2026-11-27T08:01:00.000Z", "reserved"),
    decision("2026-11-27T08:01:59.999Z", "reserved"),
    decision("2026-11-27T23:59:59.999Z", "reserved"),
  ]);
  assert.deepEqual(metrics.per_minute, {
    "2026-11-27T08:00Z": 1,
    "2026-11-27T08:01Z": 2,
    "2026-11-27T23:59Z": 1,
  });
});

Deno.test("computeMetrics() counts an order_id once, the first decision winning", () => {
  const first = decision("2026-11-27T08:00:00.000Z", "reserved", {
    order_id: "0b5e2a1c-3d4f-5a6b-8c7d-9e0f1a2b3c4d",
  });
  const repeat = decision("2026-11-27T08:00:00.000Z", "out_of_stock", { order_id: first.order_id });
  const metrics = computeMetrics([first, repeat, first]);
  assert.equal(metrics.total_orders, 1);
  assert.equal(metrics.successful_orders, 1);
});
