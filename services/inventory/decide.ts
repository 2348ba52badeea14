/**
 * Deciding one consumed message: validate it, drop duplicates, reserve stock, and say what to
 * write. Pure: the caller supplies ids and the clock, and commits the result in a transaction.
 * @module
 */
import { decodeEvent } from "@campus/shared/events/codec";
import { decisionEvent, type InventoryEvent } from "@campus/shared/events/inventory";
import { SCHEMA_BY_TOPIC } from "@campus/shared/events/by_topic";
import type { OrderPlaced } from "@campus/shared/events/order_placed";
import { ORDER_EVENTS } from "@campus/shared/topics";
import { reserve, type Stock } from "./stock.ts";

/** A consumed message, as much of it as deciding needs. */
export interface ConsumedMessage {
  partition: number;
  offset: string;
  key: Uint8Array | string | null;
  value: Uint8Array | string | null;
}

/** Why a message went to the dead-letter topic. */
export type DeadLetterReason = "empty" | "invalid_json" | "schema_mismatch" | "misrouted";

/** What to do with one message. */
export type Outcome =
  | { kind: "decided"; order: OrderPlaced; event: InventoryEvent }
  | { kind: "duplicate"; order: OrderPlaced }
  | { kind: "dead_letter"; reason: DeadLetterReason; detail: string };

/** What deciding may look at and call. */
export interface DecideContext {
  stock: Stock;
  isDecided: (orderId: string) => boolean;
  /** The partition Kafka's default partitioner assigns to an item (the message key). */
  partitionFor: (item: string) => number;
  newId: () => string;
  now: () => Date;
}

/**
 * Decides `message`. An order for an item that hashes to another partition is dead-lettered as
 * `misrouted`: its stock lives with that partition, and deciding it here could reserve twice.
 */
export function decideMessage(
  message: ConsumedMessage,
  context: DecideContext,
): { outcome: Outcome; stock: Stock } {
  const decoded = decodeEvent(SCHEMA_BY_TOPIC[ORDER_EVENTS], message.value);
  if (!decoded.ok) {
    return {
      outcome: { kind: "dead_letter", reason: decoded.reason, detail: decoded.detail },
      stock: context.stock,
    };
  }
  const order = decoded.event;
  const home = context.partitionFor(order.item);
  if (home !== message.partition) {
    return {
      outcome: {
        kind: "dead_letter",
        reason: "misrouted",
        detail:
          `Item "${order.item}" belongs to partition ${home}, found on partition ${message.partition}`,
      },
      stock: context.stock,
    };
  }
  if (context.isDecided(order.order_id)) {
    return { outcome: { kind: "duplicate", order }, stock: context.stock };
  }

  const { result, stock } = reserve(context.stock, order);
  const event = decisionEvent(order, result, {
    eventId: context.newId(),
    occurredAt: context.now().toISOString(),
  });
  return { outcome: { kind: "decided", order, event }, stock };
}
