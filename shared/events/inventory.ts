/**
 * `InventoryReserved` / `InventoryFailed`: the inventory service's decision on one order.
 * Topic `inventory-events`, key = item.
 * @module
 */
import { z } from "zod";
import { Item, Quantity, UserId, UtcTimestamp } from "./fields.ts";
import type { OrderPlaced } from "./order_placed.ts";

/** Why an order could not be reserved. */
export const FailureReason = z.enum(["unknown_item", "out_of_stock"]);
/** Why an order could not be reserved. */
export type FailureReason = z.infer<typeof FailureReason>;

const decision = {
  event_id: z.uuid(),
  schema_version: z.literal(1),
  occurred_at: UtcTimestamp,
  order_id: z.uuid(),
  user_id: UserId,
  item: Item,
  quantity: Quantity,
  /** The order's `occurred_at`: analytics computes from event time, never the clock. */
  order_placed_at: UtcTimestamp,
  /** The `event_id` of the OrderPlaced this decides. */
  causation_id: z.uuid(),
};

/** Stock was reserved; `remaining` is what is left of the item afterwards. */
export const InventoryReserved = z.strictObject({
  ...decision,
  event_type: z.literal("InventoryReserved"),
  remaining: z.int().min(0),
});
/** Stock was reserved. */
export type InventoryReserved = z.infer<typeof InventoryReserved>;

/** Stock could not be reserved, and why. */
export const InventoryFailed = z.strictObject({
  ...decision,
  event_type: z.literal("InventoryFailed"),
  reason: FailureReason,
});
/** Stock could not be reserved. */
export type InventoryFailed = z.infer<typeof InventoryFailed>;

/** Any event on `inventory-events`. */
export const InventoryEvent = z.discriminatedUnion("event_type", [
  InventoryReserved,
  InventoryFailed,
]);
/** Any event on `inventory-events`. */
export type InventoryEvent = z.infer<typeof InventoryEvent>;

/** What was decided for an order, before it becomes an event. */
export type Decision = { outcome: "reserved"; remaining: number } | {
  outcome: "failed";
  reason: FailureReason;
};

/** The event recording `decision` for `order`, tied to it by order id, causation and event time. */
export function decisionEvent(
  order: OrderPlaced,
  decision: Decision,
  meta: { eventId: string; occurredAt: string },
): InventoryEvent {
  const common = {
    event_id: meta.eventId,
    schema_version: 1 as const,
    occurred_at: meta.occurredAt,
    order_id: order.order_id,
    user_id: order.user_id,
    item: order.item,
    quantity: order.quantity,
    order_placed_at: order.occurred_at,
    causation_id: order.event_id,
  };
  return decision.outcome === "reserved"
    ? { ...common, event_type: "InventoryReserved", remaining: decision.remaining }
    : { ...common, event_type: "InventoryFailed", reason: decision.reason };
}
