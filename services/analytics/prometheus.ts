/** The analytics metrics as Prometheus text, for scrapers that ask for it on GET /metrics. */
import type { Metrics } from "./metrics.ts";
import type { ConsumerFigures } from "./consumer.ts";

function line(
  name: string,
  help: string,
  type: "gauge" | "counter",
  value: number,
  labels = "",
): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name}${labels} ${value}`];
}

function escape(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

/** Prometheus text exposition of the metrics and the consumer's figures. */
export function toPrometheus(metrics: Metrics, figures: ConsumerFigures & { lag: number }): string {
  const perItem = Object.entries(metrics.per_item).flatMap(([item, counts]) => [
    `analytics_item_orders{item="${escape(item)}",outcome="successful"} ${counts.successful}`,
    `analytics_item_orders{item="${escape(item)}",outcome="failed"} ${counts.failed}`,
  ]);
  const reasons = Object.entries(metrics.failure_reasons).map(([reason, n]) =>
    `analytics_failure_reasons{reason="${escape(reason)}"} ${n}`
  );
  return [
    ...line(
      "analytics_orders",
      "Orders decided (each order_id once).",
      "gauge",
      metrics.total_orders,
    ),
    ...line(
      "analytics_orders_successful",
      "Orders with stock reserved.",
      "gauge",
      metrics.successful_orders,
    ),
    ...line(
      "analytics_orders_failed",
      "Orders that could not be reserved.",
      "gauge",
      metrics.failed_orders,
    ),
    ...line(
      "analytics_failure_rate_percent",
      "Failed over total, in percent.",
      "gauge",
      metrics.failure_rate_percent,
    ),
    ...line(
      "analytics_orders_per_minute",
      "Orders per minute of event time (one-minute floor).",
      "gauge",
      metrics.orders_per_minute,
    ),
    "# HELP analytics_item_orders Orders per item and outcome.",
    "# TYPE analytics_item_orders gauge",
    ...perItem,
    "# HELP analytics_failure_reasons Failed orders per reason.",
    "# TYPE analytics_failure_reasons gauge",
    ...reasons,
    ...line(
      "analytics_events_consumed",
      "inventory-events messages read since the last replay.",
      "gauge",
      figures.events_consumed,
    ),
    ...line(
      "analytics_duplicates_ignored",
      "Decisions for an order_id already counted.",
      "gauge",
      figures.duplicates_ignored,
    ),
    ...line(
      "analytics_invalid_events",
      "Messages sent to inventory-events.dlq.",
      "gauge",
      figures.invalid_events,
    ),
    ...line(
      "analytics_consumer_lag",
      "Messages on inventory-events not yet read.",
      "gauge",
      figures.lag,
    ),
    "",
  ].join("\n");
}
