/**
 * `OrderPlaced`: an order was accepted by the producer service. Topic `order-events`, key = item.
 * @module
 */
import { z } from "zod";
import { Item, Quantity, UserId, UtcTimestamp } from "./fields.ts";

/** The event as it is on the wire, version 1. */
export const OrderPlaced = z.strictObject({
  event_id: z.uuid(),
  event_type: z.literal("OrderPlaced"),
  schema_version: z.literal(1),
  occurred_at: UtcTimestamp,
  order_id: z.uuid(),
  user_id: UserId,
  item: Item,
  quantity: Quantity,
});
/** An `OrderPlaced` event. */
export type OrderPlaced = z.infer<typeof OrderPlaced>;
