/**
 * Where an order goes: straight to Kafka, or into the outbox when Kafka cannot take it in time.
 * @module
 */
import { encodeEvent } from "@campus/shared/events/codec";
import { OrderPlaced } from "@campus/shared/events/order_placed";
import { type Ack, type Connection, PublishUnavailableError } from "./batcher.ts";
import type { OrderOutbox } from "./outbox.ts";

/** How orders were placed: acknowledged by Kafka, or stored in the outbox to be relayed. */
export type Placement =
  | { status: "accepted"; acks: Ack[] }
  | { status: "queued" };

/** Places events; throws PublishUnavailableError, PublishTooLargeError or an outbox error. */
export type PlaceEvents = (events: OrderPlaced[]) => Promise<Placement>;

/** Direct failures after which the orders are certainly not lost if queued: Kafka is away. */
const QUEUE_AFTER = new Set(["not_connected", "timed_out", "send_failed", "overloaded"]);

/**
 * Without an outbox, every order goes to Kafka (strict: 503 when it cannot acknowledge). With one,
 * orders go to the outbox while it holds anything or Kafka is not connected, and when a direct
 * send fails because Kafka is away. A send that timed out may still have been written: then the
 * relay writes the order again, with the same order_id and event_id, and consumers drop the repeat.
 */
export function createOrderSink(deps: {
  publish: (events: OrderPlaced[]) => Promise<Ack[]>;
  outbox?: OrderOutbox;
  connection: Connection;
  /** Why no order may be taken at all (the topic is not as configured), or undefined. */
  refusal?: () => string | undefined;
}): PlaceEvents {
  const { outbox } = deps;
  const refuseIfMisconfigured = () => {
    const refusal = deps.refusal?.();
    if (refusal) throw new PublishUnavailableError(refusal, "misconfigured", false);
  };
  if (!outbox) {
    return async (events) => {
      refuseIfMisconfigured();
      return { status: "accepted", acks: await deps.publish(events) };
    };
  }
  const queue = async (events: OrderPlaced[]): Promise<Placement> => {
    await outbox.enqueue(events.map((event) => ({
      key: event.item,
      value: encodeEvent(OrderPlaced, event),
    })));
    return { status: "queued" };
  };
  return async (events) => {
    // Queued orders would be relayed to a topic this producer cannot partition for.
    refuseIfMisconfigured();
    if (outbox.active || !deps.connection.ready) return await queue(events);
    try {
      return { status: "accepted", acks: await deps.publish(events) };
    } catch (error) {
      if (!(error instanceof PublishUnavailableError) || !QUEUE_AFTER.has(error.reason)) {
        throw error;
      }
      try {
        return await queue(events);
      } catch (outboxError) {
        // Not queued, but the send may have been written: that, not "nothing stored", is the
        // answer the client must get (retry with the same Idempotency-Key).
        throw error.mayHaveBeenWritten ? error : outboxError;
      }
    }
  };
}
