import assert from "node:assert/strict";
import { formatReport } from "./report.ts";

Deno.test("formatReport() shows totals, rate, failures, top items and consumer figures", () => {
  const report = formatReport(
    {
      total_orders: 1200,
      successful_orders: 900,
      failed_orders: 300,
      failure_rate_percent: 25,
      orders_per_minute: 120,
      per_minute: {},
      per_item: {
        pizza: { total: 1000, successful: 800, failed: 200 },
        soup: { total: 200, successful: 100, failed: 100 },
      },
      failure_reasons: { out_of_stock: 300 },
      first_order_at: "2026-11-27T08:00:00.000Z",
      last_order_at: "2026-11-27T08:10:00.000Z",
    },
    { events_consumed: 1250, duplicates_ignored: 50, invalid_events: 0, lag: 3 },
    new Date("2026-11-27T08:11:00.000Z"),
  );
  assert.match(report, /Orders +1,200 total, 900 reserved, 300 failed \(25\.00% failure rate\)/);
  assert.match(
    report,
    /Rate +120\.00 orders\/minute of event time \(2026-11-27T08:00:00\.000Z → 2026-11-27T08:10:00\.000Z\)/,
  );
  assert.match(report, /Failures +out_of_stock 300/);
  assert.match(report, /Top items +pizza 1,000 \(800 reserved\), soup 200 \(100 reserved\)/);
  assert.match(report, /1,250 events consumed, 50 duplicates ignored, 0 invalid, lag 3/);
});
