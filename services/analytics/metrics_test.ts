import assert from "node:assert/strict";
import type { InventoryEvent } from "@campus/shared/events/inventory";
import {
  computeMetrics,
  mergeCounts,
  MetricsAccumulator,
  PartitionAccumulator,
} from "./metrics.ts";

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
  assert.deepEqual(Object.keys(forward.per_item), ["(unknown items)", "pizza", "soup"]);
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

Deno.test("per_item counts items nobody sells under one entry, however many names clients invent", () => {
  const metrics = computeMetrics(
    Array.from(
      { length: 5_000 },
      (_, index) =>
        decision("2026-11-27T08:00:00.000Z", "unknown_item", { item: `made-up-${index}` }),
    ),
  );
  assert.deepEqual(metrics.per_item, {
    "(unknown items)": { total: 5_000, successful: 0, failed: 5_000 },
  });
});

Deno.test("past maxRememberedOrders the oldest ids are forgotten: only far repeats count twice", () => {
  const events = Array.from(
    { length: 10 },
    (_, index) =>
      decision("2026-11-27T08:00:00.000Z", "reserved", {
        order_id: `00000000-0000-4000-8000-${String(index).padStart(12, "0")}`,
      }),
  );
  const metrics = computeMetrics([...events, events[9]!, events[0]!], { maxRememberedOrders: 5 });
  // The repeat of the newest order is dropped; the repeat of the oldest, forgotten, counts again.
  assert.equal(metrics.total_orders, 11);
});

Deno.test("per_minute keeps the window behind the latest order, the same in any arrival order", () => {
  const events = [
    decision("2026-11-27T08:00:10.000Z", "reserved"),
    decision("2026-11-27T08:01:10.000Z", "reserved"),
    decision("2026-11-27T08:05:10.000Z", "reserved"),
    decision("2026-11-27T08:03:10.000Z", "reserved"),
    decision("2026-11-27T08:04:10.000Z", "reserved"),
  ];
  const forward = computeMetrics(events, { perMinuteWindow: 3 });
  assert.deepEqual(forward.per_minute, {
    "2026-11-27T08:03Z": 1,
    "2026-11-27T08:04Z": 1,
    "2026-11-27T08:05Z": 1,
  });
  assert.equal(forward.total_orders, 5, "the totals still count every order");
  for (
    const order of [events.toReversed(), [events[2]!, ...events.slice(0, 2), ...events.slice(3)]]
  ) {
    assert.equal(
      JSON.stringify(computeMetrics(order, { perMinuteWindow: 3 })),
      JSON.stringify(forward),
    );
  }
});

// Heap figures mean something only after a full collection: `deno task test` exposes gc() to the
// unit tests (--v8-flags=--expose-gc); without it this test is reported as ignored.
const gc = (globalThis as { gc?: () => void }).gc;

Deno.test({
  name: "MetricsAccumulator stays bounded in memory through 300,000 orders",
  ignore: gc === undefined,
}, () => {
  const accumulator = new MetricsAccumulator({ maxRememberedOrders: 10_000, perMinuteWindow: 60 });
  gc!();
  const before = Deno.memoryUsage().heapUsed;
  const start = Date.parse("2026-11-27T00:00:00.000Z");
  for (let index = 0; index < 300_000; index++) {
    accumulator.add(decision(new Date(start + index * 1_000).toISOString(), "unknown_item", {
      order_id: crypto.randomUUID(),
      item: `made-up-${index}`,
    }));
  }
  gc!();
  const grownMb = (Deno.memoryUsage().heapUsed - before) / 1024 / 1024;
  const metrics = accumulator.snapshot();
  assert.equal(metrics.total_orders, 300_000);
  assert.equal(Object.keys(metrics.per_minute).length, 60);
  assert.equal(Object.keys(metrics.per_item).length, 1);
  assert.ok(grownMb < 6, `heap grew ${grownMb.toFixed(1)} MB`);
});

Deno.test("counts kept per partition and merged equal the metrics of all events, in any split", () => {
  const items = ["pizza", "salad", "sushi", "wrap"];
  const events = Array.from({ length: 400 }, (_, index) =>
    decision(
      new Date(Date.parse("2026-11-27T08:00:00.000Z") + index * 7_000).toISOString(),
      index % 3 === 0 ? "out_of_stock" : "reserved",
      { item: items[index % items.length]! },
    ));
  const whole = JSON.stringify(computeMetrics(events));
  for (const partitions of [1, 2, 3, 6]) {
    const parts = Array.from({ length: partitions }, () => new PartitionAccumulator());
    events.forEach((event, index) => parts[(index * 7) % partitions]!.add(event));
    const merged = mergeCounts(parts.map((part) => part.counts()));
    assert.equal(JSON.stringify(merged.metrics), whole, `${partitions} partitions`);
    assert.equal(merged.figures.events_consumed, events.length);
  }
});
