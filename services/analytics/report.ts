/** The report block the analytics service prints every REPORT_INTERVAL seconds. */
import type { Metrics } from "./metrics.ts";

/** Figures about the consumer itself, kept apart from the metrics. */
export interface Operational {
  events_consumed: number;
  duplicates_ignored: number;
  invalid_events: number;
  lag: number;
}

const count = (value: number) => value.toLocaleString("en-US");

/** A readable multi-line report. */
export function formatReport(metrics: Metrics, operational: Operational, now: Date): string {
  const items = Object.entries(metrics.per_item)
    .sort(([, a], [, b]) => b.total - a.total)
    .slice(0, 5)
    .map(([item, counts]) =>
      `${item} ${count(counts.total)} (${count(counts.successful)} reserved)`
    );
  const reasons = Object.entries(metrics.failure_reasons).map(([reason, n]) =>
    `${reason} ${count(n)}`
  );
  const span = metrics.first_order_at && metrics.last_order_at
    ? `${metrics.first_order_at} → ${metrics.last_order_at}`
    : "no orders yet";
  return [
    `──── Campus orders report, ${now.toISOString()} ────`,
    `Orders      ${count(metrics.total_orders)} total, ${
      count(metrics.successful_orders)
    } reserved, ` +
    `${count(metrics.failed_orders)} failed (${
      metrics.failure_rate_percent.toFixed(2)
    }% failure rate)`,
    `Rate        ${metrics.orders_per_minute.toFixed(2)} orders/minute of event time (${span})`,
    `Failures    ${reasons.length > 0 ? reasons.join(", ") : "none"}`,
    `Top items   ${items.length > 0 ? items.join(", ") : "none"}`,
    `Consumer    ${count(operational.events_consumed)} events consumed, ${
      count(operational.duplicates_ignored)
    } duplicates ignored, ` +
    `${count(operational.invalid_events)} invalid, lag ${count(operational.lag)}`,
  ].join("\n");
}
