/**
 * The analytics metrics: computed only from event contents (never the clock), each order counted
 * once by order_id, and serialized in a fixed key order, so the same log always gives the same
 * bytes. Pure: no Kafka in here.
 * @module
 */
import type { InventoryEvent } from "@campus/shared/events/inventory";
import { IdWindow } from "@campus/shared/id_window";

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

/**
 * Where orders for items the inventory does not sell are counted in `per_item`. Item names are
 * the clients' free text: one entry per name would grow without bound (here and as Prometheus
 * series). Items it sells are bounded by the menu; `unknown_item` failures share one entry.
 */
export const UNKNOWN_ITEMS = "(unknown items)";

/** The bounds of a {@linkcode MetricsAccumulator}; every structure it keeps has one. */
export interface MetricsBounds {
  /**
   * Order ids remembered per partition of inventory-events to count each order once (about 40
   * bytes each, see IdWindow). Past the bound the oldest are forgotten first: a decision repeating an order
   * counted more than this many orders earlier on its partition is counted again. Inventory
   * repeats a decision only after `deno task rebuild`, and always on the same partition (the key
   * is the item), so per partition the outcome does not depend on how partitions interleave.
   */
  maxRememberedOrders: number;
  /** Minutes of `per_minute`, counted back from the latest order; older minutes are dropped. */
  perMinuteWindow: number;
}

/** Defaults: about 4 MB of order ids per partition, and a day of minutes. */
export const DEFAULT_METRICS_BOUNDS: MetricsBounds = {
  maxRememberedOrders: 100_000,
  perMinuteWindow: 24 * 60,
};

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function sortedRecord<T>(entries: Iterable<[string, T]>): Record<string, T> {
  return Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * What one partition of inventory-events adds up to: mergeable with the other partitions' counts
 * into the metrics ({@linkcode mergeCounts}), and small enough to publish (no order ids), so that
 * an analytics instance can show the counts of partitions another instance reads.
 */
export interface PartitionCounts {
  successful: number;
  failed: number;
  /** Orders per minute, within the window behind this partition's latest order. */
  per_minute: Record<string, number>;
  per_item: Record<string, ItemCounts>;
  failure_reasons: Record<string, number>;
  /** Earliest and latest `order_placed_at`, in ms since the epoch. */
  first_ms: number | null;
  last_ms: number | null;
  /** Records read, repeats ignored and invalid records: the consumer's own figures. */
  events: number;
  duplicates: number;
  invalid: number;
}

/**
 * Accumulates the decisions of one partition of inventory-events; duplicates (an order_id seen
 * before on the partition) are ignored. Bounded in memory for any history (see
 * {@linkcode MetricsBounds}); the same records in the same order always give the same counts.
 */
export class PartitionAccumulator {
  #seen: IdWindow;
  #bounds: MetricsBounds;
  /** Minutes before this one are out of `per_minute` for good (the window only moves forward). */
  #horizonMinuteMs = -Infinity;
  #successful = 0;
  #failed = 0;
  #events = 0;
  #duplicates = 0;
  #invalid = 0;
  #perMinute = new Map<string, number>();
  #perItem = new Map<string, ItemCounts>();
  #reasons = new Map<string, number>();
  #first: number | undefined;
  #last: number | undefined;

  constructor(bounds: Partial<MetricsBounds> = {}) {
    this.#bounds = { ...DEFAULT_METRICS_BOUNDS, ...bounds };
    this.#seen = new IdWindow(this.#bounds.maxRememberedOrders);
  }

  /** Counts a record that is not a valid decision. */
  addInvalid(): void {
    this.#events++;
    this.#invalid++;
  }

  /** Adds one decision; returns false if its order was already counted. */
  add(event: InventoryEvent): boolean {
    this.#events++;
    const seen = this.#seen;
    if (seen.has(event.order_id)) {
      this.#duplicates++;
      return false;
    }
    seen.add(event.order_id); // beyond the bound the oldest is forgotten
    const success = event.event_type === "InventoryReserved";
    if (success) this.#successful++;
    else {
      this.#failed++;
      this.#reasons.set(event.reason, (this.#reasons.get(event.reason) ?? 0) + 1);
    }
    const name = !success && event.reason === "unknown_item" ? UNKNOWN_ITEMS : event.item;
    const item = this.#perItem.get(name) ?? { total: 0, successful: 0, failed: 0 };
    item.total++;
    if (success) item.successful++;
    else item.failed++;
    this.#perItem.set(name, item);

    const placedAt = Date.parse(event.order_placed_at);
    if (this.#first === undefined || placedAt < this.#first) this.#first = placedAt;
    if (this.#last === undefined || placedAt > this.#last) this.#last = placedAt;
    this.#countMinute(placedAt, event.order_placed_at);
    return true;
  }

  /**
   * Counts the order in its minute, within the window behind the latest order. Deterministic in
   * any time order: the horizon only moves forward, and a minute behind it is never counted
   * again, so every minute left in the window is complete whatever the order of arrival.
   */
  #countMinute(placedAt: number, placedAtText: string): void {
    const minuteMs = placedAt - (placedAt % MINUTE_MS);
    const horizon = horizonOf(this.#last!, this.#bounds.perMinuteWindow);
    if (horizon > this.#horizonMinuteMs) {
      this.#horizonMinuteMs = horizon;
      for (const [key, _] of this.#perMinute) {
        if (Date.parse(key) < horizon) this.#perMinute.delete(key);
      }
    }
    if (minuteMs < this.#horizonMinuteMs) return;
    const minute = `${placedAtText.slice(0, 16)}Z`; // UTC by schema: "...T08:05"
    this.#perMinute.set(minute, (this.#perMinute.get(minute) ?? 0) + 1);
  }

  /** The counts so far, a copy. */
  counts(): PartitionCounts {
    return {
      successful: this.#successful,
      failed: this.#failed,
      per_minute: sortedRecord(this.#perMinute),
      per_item: sortedRecord([...this.#perItem].map(([item, counts]) => [item, { ...counts }])),
      failure_reasons: sortedRecord(this.#reasons),
      first_ms: this.#first ?? null,
      last_ms: this.#last ?? null,
      events: this.#events,
      duplicates: this.#duplicates,
      invalid: this.#invalid,
    };
  }
}

/** The first minute (ms) kept in a window of `window` minutes ending at `lastMs`'s minute. */
function horizonOf(lastMs: number, window: number): number {
  return lastMs - (lastMs % MINUTE_MS) - (window - 1) * MINUTE_MS;
}

/** Figures about the consumer itself, reported apart from the metrics. */
export interface ConsumerFigures {
  events_consumed: number;
  duplicates_ignored: number;
  invalid_events: number;
}

/** Partitions' counts added up: the metrics block (fixed key order) and the consumer figures. */
export function mergeCounts(
  parts: Iterable<PartitionCounts>,
  bounds: Partial<MetricsBounds> = {},
): { metrics: Metrics; figures: ConsumerFigures } {
  const window = bounds.perMinuteWindow ?? DEFAULT_METRICS_BOUNDS.perMinuteWindow;
  let successful = 0, failed = 0, events = 0, duplicates = 0, invalid = 0;
  let first: number | undefined, last: number | undefined;
  const perMinute = new Map<string, number>();
  const perItem = new Map<string, ItemCounts>();
  const reasons = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, value: number) =>
    map.set(key, (map.get(key) ?? 0) + value);
  for (const part of parts) {
    successful += part.successful;
    failed += part.failed;
    events += part.events;
    duplicates += part.duplicates;
    invalid += part.invalid;
    if (part.first_ms !== null && (first === undefined || part.first_ms < first)) {
      first = part.first_ms;
    }
    if (part.last_ms !== null && (last === undefined || part.last_ms > last)) last = part.last_ms;
    for (const [minute, count] of Object.entries(part.per_minute)) add(perMinute, minute, count);
    for (const [reason, count] of Object.entries(part.failure_reasons)) add(reasons, reason, count);
    for (const [name, counts] of Object.entries(part.per_item)) {
      const item = perItem.get(name) ?? { total: 0, successful: 0, failed: 0 };
      item.total += counts.total;
      item.successful += counts.successful;
      item.failed += counts.failed;
      perItem.set(name, item);
    }
  }
  if (last !== undefined) {
    const horizon = horizonOf(last, window);
    for (const minute of [...perMinute.keys()]) {
      if (Date.parse(minute) < horizon) perMinute.delete(minute);
    }
  }
  const total = successful + failed;
  const spanMs = first === undefined || last === undefined ? 0 : last - first;
  return {
    metrics: {
      total_orders: total,
      successful_orders: successful,
      failed_orders: failed,
      failure_rate_percent: total === 0 ? 0 : round2((failed / total) * 100),
      orders_per_minute: round2(total / Math.max(1, spanMs / MINUTE_MS)),
      per_minute: sortedRecord(perMinute),
      per_item: sortedRecord(perItem),
      failure_reasons: sortedRecord(reasons),
      first_order_at: first === undefined ? null : new Date(first).toISOString(),
      last_order_at: last === undefined ? null : new Date(last).toISOString(),
    },
    figures: { events_consumed: events, duplicates_ignored: duplicates, invalid_events: invalid },
  };
}

/**
 * Decisions of any partitions, each counted in its partition (so a repeat is recognised where it
 * can occur: the key is the item, so an order's decisions share a partition), then merged.
 */
export class MetricsAccumulator {
  #partitions = new Map<number, PartitionAccumulator>();
  constructor(readonly bounds: Partial<MetricsBounds> = {}) {}

  /** Adds one decision read from `partition`; returns false if its order was already counted. */
  add(event: InventoryEvent, partition = 0): boolean {
    let part = this.#partitions.get(partition);
    if (!part) this.#partitions.set(partition, part = new PartitionAccumulator(this.bounds));
    return part.add(event);
  }

  /** The metrics block, in a fixed key order. */
  snapshot(): Metrics {
    return mergeCounts([...this.#partitions.values()].map((part) => part.counts()), this.bounds)
      .metrics;
  }
}

/** Computes the metrics of `events`, in their order (the first decision of an order counts). */
export function computeMetrics(
  events: Iterable<InventoryEvent>,
  bounds: Partial<MetricsBounds> = {},
): Metrics {
  const accumulator = new MetricsAccumulator(bounds);
  for (const event of events) accumulator.add(event);
  return accumulator.snapshot();
}
