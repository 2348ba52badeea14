import assert from "node:assert/strict";
import { InventoryEvent } from "@campus/shared/events/inventory";
import goldenReserved from "../../shared/events/fixtures/inventory_reserved.v1.json" with {
  type: "json",
};
import { DLQ_HEADERS } from "@campus/shared/dead_letter";
import { chunkRecords } from "./records.ts";

// The golden InventoryReserved v1 fixture.
const event: InventoryEvent = InventoryEvent.parse(goldenReserved);

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
