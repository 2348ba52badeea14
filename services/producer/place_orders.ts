/**
 * `POST /order` and `POST /orders/batch`: validate everything first, publish only valid orders,
 * and answer 202 only once Kafka acknowledged them. No 4xx publishes anything.
 * @module
 */
import type { z } from "zod";
import { json } from "@campus/shared/http";
import { describeIssues, issueViews } from "@campus/shared/issues";
import type { Logger } from "@campus/shared/log";
import type { OrderPlaced } from "@campus/shared/events/order_placed";
import { PublishTooLargeError, PublishUnavailableError } from "./batcher.ts";
import { OutboxFullError, OutboxUnavailableError } from "./outbox.ts";
import type { PlaceEvents } from "./order_sink.ts";
import { type IdempotencyBounds, IdempotencyCache, IdempotencyConflict } from "./idempotency.ts";
import { IDEMPOTENCY_KEY, orderIdForKey } from "./order_ids.ts";
import {
  BATCH_BODY_LIMIT_BYTES,
  type BatchAccepted,
  ORDER_BODY_LIMIT_BYTES,
  type OrderAccepted,
  OrderBatchRequest,
  type OrderQueued,
  OrderRequest,
} from "./order_request.ts";
import { readJsonBody } from "@campus/shared/read_body";

/** What the order routes need. */
export interface PlaceOrdersDeps {
  /** Sends events to Kafka, or to the outbox (order_sink.ts). */
  place: PlaceEvents;
  now: () => Date;
  newId: () => string;
  logger: Logger;
  /** Seconds a client should wait after a 503. */
  retryAfterSeconds?: number;
  /** How many idempotency keys, and bytes of answers, to remember. */
  idempotencyBounds?: Partial<IdempotencyBounds>;
  /** Called with the number of orders Kafka acknowledged. */
  onAccepted?: (count: number) => void;
  /** Called with the number of orders stored in the outbox. */
  onQueued?: (count: number) => void;
}

/** 400 with every issue, summarised in one sentence that names each bad place. */
function invalid(prefix: string, zodIssues: readonly z.core.$ZodIssue[]): Response {
  // The shared field schemas' messages name their field, so only enclosing places are added.
  const summary = describeIssues(zodIssues, { messagesNameTheirField: true });
  return json({ error: `${prefix}: ${summary}`, issues: issueViews(zodIssues) }, { status: 400 });
}

/** Builds the two order routes. */
export function createOrderRoutes(deps: PlaceOrdersDeps): {
  placeOrder: (request: Request) => Promise<Response>;
  placeBatch: (request: Request) => Promise<Response>;
} {
  const retryAfter = String(deps.retryAfterSeconds ?? 1);
  const remembered = new IdempotencyCache<OrderAccepted | OrderQueued | BatchAccepted>(
    deps.idempotencyBounds,
  );

  const event = (orderId: string, order: OrderRequest, occurredAt: string): OrderPlaced => ({
    event_id: deps.newId(),
    event_type: "OrderPlaced",
    schema_version: 1,
    occurred_at: occurredAt,
    order_id: orderId,
    user_id: order.user_id,
    item: order.item,
    quantity: order.quantity,
  });

  /** Publishes and answers 202, or 503 when Kafka did not acknowledge in time. */
  async function answer<T extends OrderAccepted | OrderQueued | BatchAccepted>(
    key: string | null,
    fingerprint: string,
    work: () => Promise<T>,
  ): Promise<Response> {
    try {
      const body = key === null ? await work() : await remembered.run(key, fingerprint, work);
      return json(body, { status: 202 });
    } catch (error) {
      if (error instanceof IdempotencyConflict) {
        return json({ error: error.message }, { status: 422 });
      }
      if (error instanceof PublishTooLargeError) {
        return json({ error: `${error.message}: send fewer orders per request` }, {
          status: 413,
        });
      }
      if (error instanceof OutboxFullError || error instanceof OutboxUnavailableError) {
        deps.logger.warn("order neither acknowledged by kafka nor queued", {
          error: error.message,
        });
        return json({
          error: `${error.message}; nothing was stored: retry later`,
          reason: error instanceof OutboxFullError ? "outbox_full" : "outbox_unavailable",
          may_have_been_written: false,
        }, { status: 503, headers: { "retry-after": retryAfter } });
      }
      if (error instanceof PublishUnavailableError) {
        deps.logger.warn("order not acknowledged by kafka", {
          error: error.message,
          reason: error.reason,
          may_have_been_written: error.mayHaveBeenWritten,
        });
        const retry = error.mayHaveBeenWritten
          ? "it may have been written: retry with the same Idempotency-Key"
          : "nothing was written: retry later";
        return json({
          error: `${error.message}; ${retry}`,
          reason: error.reason,
          may_have_been_written: error.mayHaveBeenWritten,
        }, { status: 503, headers: { "retry-after": retryAfter } });
      }
      throw error;
    }
  }

  function idempotencyKeyOf(request: Request): { key: string | null } | { response: Response } {
    const key = request.headers.get("idempotency-key");
    if (key === null || IDEMPOTENCY_KEY.test(key)) return { key };
    return {
      response: json({ error: "Idempotency-Key must be 1-128 visible ASCII characters" }, {
        status: 400,
      }),
    };
  }

  return {
    async placeOrder(request) {
      const body = await readJsonBody(request, ORDER_BODY_LIMIT_BYTES);
      if (!body.ok) return body.response;
      const parsed = OrderRequest.safeParse(body.value);
      if (!parsed.success) return invalid("Invalid order", parsed.error.issues);
      const idempotency = idempotencyKeyOf(request);
      if ("response" in idempotency) return idempotency.response;
      const order = parsed.data;
      const { key } = idempotency;
      return answer(
        key === null ? null : `${order.user_id}\n${key}`,
        JSON.stringify(order),
        async () => {
          const orderId = key === null ? deps.newId() : await orderIdForKey(order, key);
          const placed = event(orderId, order, deps.now().toISOString());
          const placement = await deps.place([placed]);
          if (placement.status === "queued") {
            deps.onQueued?.(1);
            return {
              order_id: placed.order_id,
              event_id: placed.event_id,
              status: "queued",
            } satisfies OrderQueued;
          }
          const [ack] = placement.acks;
          deps.onAccepted?.(1);
          return {
            order_id: placed.order_id,
            event_id: placed.event_id,
            status: "accepted",
            partition: ack!.partition,
            offset: ack!.offset,
          } satisfies OrderAccepted;
        },
      );
    },

    async placeBatch(request) {
      const body = await readJsonBody(request, BATCH_BODY_LIMIT_BYTES);
      if (!body.ok) return body.response;
      const parsed = OrderBatchRequest.safeParse(body.value);
      if (!parsed.success) return invalid("Invalid batch", parsed.error.issues);
      const idempotency = idempotencyKeyOf(request);
      if ("response" in idempotency) return idempotency.response;
      const { orders } = parsed.data;
      const { key } = idempotency;
      // Remembered per key and the batch's users, as a single order's key is per user.
      const users = [...new Set(orders.map((order) => order.user_id))].sort().join("\n");
      const remembered = key === null ? null : `batch\n${key}\n${users}`;
      return answer(remembered, JSON.stringify(orders), async () => {
        const occurredAt = deps.now().toISOString();
        const events = await Promise.all(
          orders.map(async (order, index) =>
            event(
              key === null ? deps.newId() : await orderIdForKey(order, key, index),
              order,
              occurredAt,
            )
          ),
        );
        const placement = await deps.place(events);
        if (placement.status === "queued") deps.onQueued?.(events.length);
        else deps.onAccepted?.(events.length);
        return {
          accepted: events.length,
          order_ids: events.map((placed) => placed.order_id),
          status: placement.status,
        } satisfies BatchAccepted;
      });
    },
  };
}
