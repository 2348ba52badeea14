/**
 * The analytics metrics: computed only from event contents (never the clock), each order counted
 * once by order_id, and serialized in a fixed key order, so the same log always gives the same
 * bytes. Pure: no Kafka in here.
 * @module
 */
import type { InventoryEvent } from "@campus/shared/events/inventory";

/** Per-item counts. */
export interface ItemCounts {
  total: number;
  successful: number;
  failed: number;
}

/** The metrics block: identical, byte for byte, before and after a replay. */
export interface Metrics {
  total_orders: number;
  successful_orders: number;
  failed_orders: number;
  /** failed / total × 100, rounded to 2 decimals; 0 without orders. */
  failure_rate_percent: number;
  /**
   * Orders per minute of event time: total over the span from the first to the last
   * `order_placed_at`, with the span counted as at least one minute; rounded to 2 decimals.
   */
  orders_per_minute: number;
  /** Orders per minute of `order_placed_at`, keyed `YYYY-MM-DDTHH:MMZ`, in time order. */
  per_minute: Record<string, number>;
  per_item: Record<string, ItemCounts>;
  failure_reasons: Record<string, number>;
  first_order_at: string | null;
  last_order_at: string | null;
}

const MINUTE_MS = 60_000;

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function sortedRecord<T>(entries: Iterable<[string, T]>): Record<string, T> {
  return Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Accumulates decisions; duplicates (an order_id seen before) are ignored. */
export class MetricsAccumulator {
  #seen = new Set<string>();
  #successful = 0;
  #failed = 0;
  #perMinute = new Map<string, number>();
  #perItem = new Map<string, ItemCounts>();
  #reasons = new Map<string, number>();
  #first: number | undefined;
  #last: number | undefined;

  /** Adds one decision; returns false if its order was already counted. */
  add(event: InventoryEvent): boolean {
    if (this.#seen.has(event.order_id)) return false;
    this.#seen.add(event.order_id);
    const success = event.event_type === "InventoryReserved";
    if (success) this.#successful++;
    else {
      this.#failed++;
      this.#reasons.set(event.reason, (this.#reasons.get(event.reason) ?? 0) + 1);
    }
    const item = this.#perItem.get(event.item) ?? { total: 0, successful: 0, failed: 0 };
    item.total++;
    if (success) item.successful++;
    else item.failed++;
    this.#perItem.set(event.item, item);

    const placedAt = Date.parse(event.order_placed_at);
    const minute = `${event.order_placed_at.slice(0, 16)}Z`; // UTC by schema: "...T08:05"
    this.#perMinute.set(minute, (this.#perMinute.get(minute) ?? 0) + 1);
    if (this.#first === undefined || placedAt < this.#first) this.#first = placedAt;
    if (this.#last === undefined || placedAt > this.#last) this.#last = placedAt;
    return true;
  }

  /** The metrics block, in a fixed key order. */
  snapshot(): Metrics {
    const total = this.#successful + this.#failed;
    const spanMs = this.#first === undefined || this.#last === undefined
      ? 0
      : this.#last - this.#first;
    return {
      total_orders: total,
      successful_orders: this.#successful,
      failed_orders: this.#failed,
      failure_rate_percent: total === 0 ? 0 : round2((this.#failed / total) * 100),
      orders_per_minute: round2(total / Math.max(1, spanMs / MINUTE_MS)),
      per_minute: sortedRecord(this.#perMinute),
      per_item: sortedRecord([...this.#perItem].map(([item, counts]) => [item, { ...counts }])),
      failure_reasons: sortedRecord(this.#reasons),
      first_order_at: this.#first === undefined ? null : new Date(this.#first).toISOString(),
      last_order_at: this.#last === undefined ? null : new Date(this.#last).toISOString(),
    };
  }
}

/** Computes the metrics of `events`, in their order (the first decision of an order counts). */
export function computeMetrics(events: Iterable<InventoryEvent>): Metrics {
  const accumulator = new MetricsAccumulator();
  for (const event of events) accumulator.add(event);
  return accumulator.snapshot();
}
