/**
 * Every topic the system uses, with its partition count and settings: the one place they are decided.
 * @module
 */

/** OrderPlaced events from the producer service; key = item. */
export const ORDER_EVENTS = "order-events";
/** InventoryReserved / InventoryFailed events from the inventory service; key = item. */
export const INVENTORY_EVENTS = "inventory-events";
/** Messages on order-events that failed validation, with the reason in headers. */
export const ORDER_EVENTS_DLQ = "order-events.dlq";
/** Messages on inventory-events that failed validation, with the reason in headers. */
export const INVENTORY_EVENTS_DLQ = "inventory-events.dlq";
/** Remaining stock per item, compacted; written in the same transaction as the inventory results. */
export const INVENTORY_CHANGELOG = "inventory-stock-changelog";
/**
 * The order ids the inventory service has decided, one record per committed chunk, written in the
 * same transaction as the results, so a re-published order is not decided twice across restarts.
 */
export const INVENTORY_DECIDED = "inventory-decided-orders";
/**
 * What each partition of inventory-events adds up to, published by the analytics instance that
 * reads it, so that every instance can answer with the global metrics
 * (services/analytics/summaries.ts). Compacted: the latest record per partition and the latest
 * replay request are what matter.
 */
export const ANALYTICS_SUMMARIES = "analytics-partition-summaries";
/** Consumer group of the inventory service. */
export const INVENTORY_GROUP = "inventory-service";
/** Consumer group of the analytics service. */
export const ANALYTICS_GROUP = "analytics-service";

/** How long a decided order id is remembered: the window in which a duplicate OrderPlaced is dropped. */
export const DECIDED_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Partitions of the keyed event topics unless EVENT_PARTITIONS says otherwise: the most instances
 * of a consumer service that get work (six leaves room for three of each with two partitions each).
 * The inventory changelogs match order-events, so that an instance owning order partition N
 * restores exactly the state of the orders it decides.
 */
export const DEFAULT_EVENT_PARTITIONS = 6;

/** How a topic is created. */
export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly config: Readonly<Record<string, string>>;
}

// The event log is the source of truth and replay must reproduce history, so it never expires.
const keepForever = { "retention.ms": "-1" };

/**
 * All topics, created explicitly at start-up (the broker's auto-create is off), with `partitions`
 * for the keyed event topics and the inventory changelogs that follow them.
 */
export function topicSpecs(partitions: number): readonly TopicSpec[] {
  return [
    { name: ORDER_EVENTS, partitions, config: keepForever },
    { name: INVENTORY_EVENTS, partitions, config: keepForever },
    { name: ORDER_EVENTS_DLQ, partitions: 1, config: keepForever },
    { name: INVENTORY_EVENTS_DLQ, partitions: 1, config: keepForever },
    {
      name: INVENTORY_CHANGELOG,
      partitions,
      config: { "cleanup.policy": "compact" },
    },
    {
      name: INVENTORY_DECIDED,
      partitions,
      config: { "cleanup.policy": "delete", "retention.ms": String(DECIDED_RETENTION_MS) },
    },
    {
      name: ANALYTICS_SUMMARIES,
      partitions: 1,
      // Small segments, so compaction keeps up: a starting instance reads the whole topic.
      config: {
        "cleanup.policy": "compact",
        "segment.bytes": String(8 * 1024 * 1024),
        "min.cleanable.dirty.ratio": "0.1",
      },
    },
  ];
}

/** The topics with the default partition count, for tools and tests on a cluster of their own. */
export const TOPICS: readonly TopicSpec[] = topicSpecs(DEFAULT_EVENT_PARTITIONS);
