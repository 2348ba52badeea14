/** Writing many events straight to Kafka, for benchmarks and tests that pre-fill a topic. */
import type { Kafka } from "kafkajs";
import { encodeEvent } from "@campus/shared/events/codec";
import { decisionEvent, InventoryEvent } from "@campus/shared/events/inventory";
import { OrderPlaced } from "@campus/shared/events/order_placed";
import { keyPartitioner } from "@campus/shared/kafka";
import { DEFAULT_EVENT_PARTITIONS, INVENTORY_EVENTS, ORDER_EVENTS } from "@campus/shared/topics";

/** The `index`-th generated order: items cycle through `items`, users and quantities vary. */
export function generatedOrder(index: number, items: readonly string[], now: Date): OrderPlaced {
  return {
    event_id: crypto.randomUUID(),
    event_type: "OrderPlaced",
    schema_version: 1,
    occurred_at: new Date(now.getTime() + index).toISOString(),
    order_id: crypto.randomUUID(),
    user_id: `student-${index % 5000}`,
    item: items[index % items.length]!,
    quantity: 1 + (index % 3),
  };
}

/** Writes `count` generated orders to order-events in batches, keyed and partitioned like the producer. */
export async function fillOrders(
  kafka: Kafka,
  options: { count: number; items: readonly string[]; batchSize?: number },
): Promise<OrderPlaced[]> {
  const partitionFor = keyPartitioner(DEFAULT_EVENT_PARTITIONS);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const now = new Date();
  const orders: OrderPlaced[] = [];
  try {
    const batchSize = options.batchSize ?? 5_000;
    for (let start = 0; start < options.count; start += batchSize) {
      const batch = Array.from(
        { length: Math.min(batchSize, options.count - start) },
        (_, offset) => generatedOrder(start + offset, options.items, now),
      );
      orders.push(...batch);
      await producer.send({
        topic: ORDER_EVENTS,
        acks: -1,
        messages: batch.map((order) => ({
          key: order.item,
          value: encodeEvent(OrderPlaced, order),
          partition: partitionFor(order.item),
        })),
      });
    }
  } finally {
    await producer.disconnect();
  }
  return orders;
}

/** Writes `count` generated inventory decisions straight to inventory-events, keyed by item. */
export async function fillDecisions(
  kafka: Kafka,
  options: { count: number; items: readonly string[]; batchSize?: number },
): Promise<void> {
  const partitionFor = keyPartitioner(DEFAULT_EVENT_PARTITIONS);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const now = new Date();
  try {
    const batchSize = options.batchSize ?? 5_000;
    for (let start = 0; start < options.count; start += batchSize) {
      const messages = Array.from(
        { length: Math.min(batchSize, options.count - start) },
        (_, offset) => {
          const order = generatedOrder(start + offset, options.items, now);
          const event = decisionEvent(
            order,
            (start + offset) % 4 === 0
              ? { outcome: "failed", reason: "out_of_stock" }
              : { outcome: "reserved", remaining: 0 },
            { eventId: crypto.randomUUID(), occurredAt: order.occurred_at },
          );
          return {
            key: order.item,
            value: encodeEvent(InventoryEvent, event),
            partition: partitionFor(order.item),
          };
        },
      );
      await producer.send({ topic: INVENTORY_EVENTS, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
}
