/**
 * What `POST /order` and `POST /orders/batch` accept. Unknown fields are rejected by name, so a
 * typo such as `quantiy` is an error instead of an order for the default quantity.
 * @module
 */
import { z } from "zod";
import { Item, Quantity, UserId } from "@campus/shared/events/fields";

/** Largest accepted body of `POST /order`, in bytes. */
export const ORDER_BODY_LIMIT_BYTES = 16 * 1024;
/** Largest accepted body of `POST /orders/batch`, in bytes. */
export const BATCH_BODY_LIMIT_BYTES = 1024 * 1024;
/** Most orders in one batch request. */
export const MAX_BATCH_ORDERS = 1000;

/** One order, as a client sends it. */
export const OrderRequest = z.strictObject({ user_id: UserId, item: Item, quantity: Quantity }, {
  error: (issue) => issue.code === "invalid_type" ? "order must be a JSON object" : undefined,
});
/** One order, as a client sends it. */
export type OrderRequest = z.infer<typeof OrderRequest>;

/** Many orders in one request: all are published, or none. */
export const OrderBatchRequest = z.strictObject({
  orders: z.array(OrderRequest, { error: "orders must be an array" })
    .min(1, { error: "orders must hold at least 1 order" })
    .max(MAX_BATCH_ORDERS, { error: `orders must hold at most ${MAX_BATCH_ORDERS} orders` }),
}, { error: (issue) => issue.code === "invalid_type" ? "body must be a JSON object" : undefined });
/** Many orders in one request. */
export type OrderBatchRequest = z.infer<typeof OrderBatchRequest>;

/** `202` answer of `POST /order`. */
export const OrderAccepted = z.object({
  order_id: z.uuid(),
  event_id: z.uuid(),
  status: z.literal("accepted"),
  partition: z.int().min(0),
  offset: z.string().regex(/^\d+$/).describe(
    "Offset of the event in its partition, as a decimal string",
  ),
});
/** `202` answer of `POST /order`. */
export type OrderAccepted = z.infer<typeof OrderAccepted>;

/** `202` answer of `POST /order` when Kafka could not take it in time: stored in the outbox. */
export const OrderQueued = z.object({
  order_id: z.uuid(),
  event_id: z.uuid(),
  status: z.literal("queued").describe(
    "Stored durably on the producer's disk; relayed to Kafka, in order, once it is back",
  ),
});
/** `202` answer of `POST /order` when the order went to the outbox. */
export type OrderQueued = z.infer<typeof OrderQueued>;

/** `202` answer of `POST /orders/batch`. */
export const BatchAccepted = z.object({
  accepted: z.int().min(1),
  order_ids: z.array(z.uuid()),
  status: z.enum(["accepted", "queued"]).describe(
    "accepted: Kafka acknowledged every event; queued: all are in the producer's outbox",
  ),
});
/** `202` answer of `POST /orders/batch`. */
export type BatchAccepted = z.infer<typeof BatchAccepted>;

/** One problem with a request: where, and what. */
export const Issue = z.object({
  path: z.array(z.union([z.string(), z.number()])),
  message: z.string(),
});
/** Every error answer. */
export const ErrorBody = z.object({ error: z.string(), issues: z.array(Issue).optional() });
/** Every error answer. */
export type ErrorBody = z.infer<typeof ErrorBody>;
