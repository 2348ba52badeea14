/** OrderPlaced events to Kafka messages, through the batcher. */
import { encodeEvent } from "@campus/shared/events/codec";
import { OrderPlaced } from "@campus/shared/events/order_placed";
import type { Ack, ProduceBatcher } from "./batcher.ts";

/**
 * Publishes events keyed by item, so each item's orders stay in order on one partition.
 * No message headers: the value already names `event_type` and `schema_version`, and kafkajs
 * allocates a buffer per header per message, which showed up as the producer's top cost.
 */
export function createOrderPublisher(
  batcher: ProduceBatcher,
  partitionFor: (key: string) => number,
): (events: OrderPlaced[]) => Promise<Ack[]> {
  return (events) =>
    batcher.publish(events.map((event) => ({
      key: event.item,
      value: encodeEvent(OrderPlaced, event),
      partition: partitionFor(event.item),
    })));
}
