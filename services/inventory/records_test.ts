import assert from "node:assert/strict";
import type { InventoryEvent } from "@campus/shared/events/inventory";
import { chunkRecords, DLQ_HEADERS } from "./records.ts";

const event: InventoryEvent = {
  event_id: "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d",
  schema_version: 1,
  occurred_at: "2026-11-27T08:00:01.000Z",
  order_id: "0b5e2a1c-3d4f-5a6b-8c7d-9e0f1a2b3c4d",
  user_id: "student-42",
  item: "pizza",
  quantity: 2,
  order_placed_at: "2026-11-27T08:00:00.000Z",
  causation_id: "4f9c2d4e-8a57-4d0b-9a3e-1f2b3c4d5e6f",
  event_type: "InventoryReserved",
  remaining: 3,
};

Deno.test("chunkRecords() writes results, stock, decided ids and dead letters to the consumed partition", () => {
  const topics = chunkRecords(2, {
    entries: [
      {
        message: { partition: 2, offset: "10", key: "pizza", value: "{}" },
        outcome: { kind: "decided", order: {} as never, event },
      },
      {
        message: { partition: 2, offset: "11", key: "bad", value: "{oops" },
        outcome: { kind: "dead_letter", reason: "invalid_json", detail: "Cannot parse JSON" },
      },
    ],
    stockChanges: new Map([["pizza", 3]]),
    committedAt: "2026-11-27T08:00:02.000Z",
  });
  const byTopic = Object.fromEntries(topics.map((topic) => [topic.topic, topic.messages]));
  assert.deepEqual(Object.keys(byTopic), [
    "inventory-events",
    "inventory-stock-changelog",
    "inventory-decided-orders",
    "order-events.dlq",
  ]);
  assert.equal(byTopic["inventory-events"]?.[0]?.partition, 2);
  assert.equal(byTopic["inventory-events"]?.[0]?.key, "pizza");
  assert.deepEqual(JSON.parse(String(byTopic["inventory-stock-changelog"]?.[0]?.value)), {
    item: "pizza",
    remaining: 3,
  });
  assert.equal(byTopic["inventory-decided-orders"]?.[0]?.key, "2:11");
  assert.deepEqual(JSON.parse(String(byTopic["inventory-decided-orders"]?.[0]?.value)).order_ids, [
    event.order_id,
  ]);
  const dead = byTopic["order-events.dlq"]?.[0];
  assert.equal(dead?.value, "{oops");
  assert.equal(dead?.headers?.[DLQ_HEADERS.reason], "invalid_json");
  assert.equal(dead?.headers?.[DLQ_HEADERS.offset], "11");
  assert.equal(dead?.headers?.[DLQ_HEADERS.partition], "2");
});

Deno.test("chunkRecords() writes nothing but what a chunk of duplicates needs: no records at all", () => {
  const topics = chunkRecords(0, {
    entries: [{
      message: { partition: 0, offset: "1", key: "pizza", value: "{}" },
      outcome: { kind: "duplicate", order: {} as never },
    }],
    stockChanges: new Map(),
    committedAt: "2026-11-27T08:00:02.000Z",
  });
  assert.deepEqual(topics, []);
});
