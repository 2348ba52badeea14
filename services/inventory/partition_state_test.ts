import assert from "node:assert/strict";
import { encodeEvent } from "@campus/shared/events/codec";
import { OrderPlaced } from "@campus/shared/events/order_placed";
import { INVENTORY_CHANGELOG, INVENTORY_DECIDED } from "@campus/shared/topics";
import {
  applyChunk,
  applyDecidedRecord,
  applyStockRecord,
  initialState,
  type PartitionState,
} from "./partition_state.ts";
import { PendingChunk } from "./pending_chunk.ts";
import { chunkRecords, DecidedChunk, StockLevel } from "./records.ts";

const MENU = new Map([["pizza", 40], ["soup", 25], ["salad", 10], ["one-left", 1]]);
const ITEMS = ["pizza", "soup", "salad", "one-left", "lobster"]; // lobster: not on the menu
const PARTITION = 0;
const partitionFor = () => PARTITION;
const start = Date.parse("2026-11-27T08:00:00.000Z");

/** A deterministic stream of orders with repeats (a client's retry re-publishes an order). */
function orders(count: number): OrderPlaced[] {
  const placed: OrderPlaced[] = [];
  for (let index = 0; index < count; index++) {
    if (index % 7 === 6) {
      placed.push(placed[index - 3]!); // the same order again
      continue;
    }
    placed.push({
      event_id: crypto.randomUUID(),
      event_type: "OrderPlaced",
      schema_version: 1,
      occurred_at: new Date(start + index).toISOString(),
      order_id: crypto.randomUUID(),
      user_id: `student-${index}`,
      item: ITEMS[index % ITEMS.length]!,
      quantity: 1 + (index % 3),
    });
  }
  return placed;
}

/**
 * Runs the live path chunk by chunk (decide, write records, apply the committed chunk) and
 * returns the final state with every record the chunks wrote, in order.
 */
function live(placed: OrderPlaced[], chunkSizes: number[], maxDecided: number) {
  const state = initialState(PARTITION, { menu: MENU, partitionFor, maxDecided });
  const records: { topic: string; value: string }[] = [];
  let offset = 0;
  let chunkIndex = 0;
  while (offset < placed.length) {
    const size = chunkSizes[chunkIndex++ % chunkSizes.length]!;
    // The live path's own steps: decide the chunk, write its records, apply it once committed.
    const chunk = new PendingChunk(state, {
      partitionFor,
      newId: () => crypto.randomUUID(),
      now: () => new Date(start),
    });
    placed.slice(offset, offset + size).forEach((order, index) =>
      chunk.decide({
        partition: PARTITION,
        offset: String(offset + index),
        key: order.item,
        value: encodeEvent(OrderPlaced, order),
      })
    );
    const committedAtMs = start + chunkIndex * 1_000;
    for (
      const topic of chunkRecords(PARTITION, {
        entries: chunk.entries,
        stockChanges: chunk.stockChanges,
        committedAt: new Date(committedAtMs).toISOString(),
      })
    ) {
      for (const message of topic.messages) {
        records.push({ topic: topic.topic, value: String(message.value) });
      }
    }
    applyChunk(state, chunk.committed(committedAtMs));
    offset += size;
  }
  return { state, records };
}

/** What a restart rebuilds from the changelog records. */
function restored(records: { topic: string; value: string }[], maxDecided: number): PartitionState {
  const state = initialState(PARTITION, { menu: MENU, partitionFor, maxDecided });
  for (const record of records) {
    if (record.topic === INVENTORY_CHANGELOG) {
      applyStockRecord(state, StockLevel.parse(JSON.parse(record.value)));
    } else if (record.topic === INVENTORY_DECIDED) {
      applyDecidedRecord(state, DecidedChunk.parse(JSON.parse(record.value)));
    }
  }
  return state;
}

function assertSameState(actual: PartitionState, expected: PartitionState, ids: string[]): void {
  assert.deepEqual([...actual.stock].sort(), [...expected.stock].sort());
  assert.equal(actual.decided.size, expected.decided.size);
  assert.deepEqual(
    ids.map((id) => actual.decided.has(id)),
    ids.map((id) => expected.decided.has(id)),
  );
}

for (const maxDecided of [100_000, 25]) {
  Deno.test(`a restart from the changelogs equals the live state (decided bound ${maxDecided})`, () => {
    const placed = orders(300);
    const { state, records } = live(placed, [1, 7, 50, 3], maxDecided);
    assert.ok(state.stock.get("one-left") === 0, "some stock ran out");
    assertSameState(restored(records, maxDecided), state, placed.map((order) => order.order_id));
  });
}

Deno.test("initialState() holds only the menu's items that hash to the partition", () => {
  const state = initialState(1, { menu: MENU, partitionFor: (item) => item.length % 2 });
  assert.deepEqual([...state.stock.keys()].sort(), ["pizza", "salad"]);
  assert.equal(state.decided.size, 0);
});

Deno.test("an order id in capitals is the same order, within one chunk and across chunks", () => {
  const state = initialState(PARTITION, { menu: MENU, partitionFor });
  const order = orders(1)[0]!;
  const shouted = {
    ...order,
    event_id: crypto.randomUUID(),
    order_id: order.order_id.toUpperCase(),
  };
  const decideAll = (messages: OrderPlaced[], firstOffset: number) => {
    const chunk = new PendingChunk(state, {
      partitionFor,
      newId: () => crypto.randomUUID(),
      now: () => new Date(start),
    });
    messages.forEach((message, index) =>
      chunk.decide({
        partition: PARTITION,
        offset: String(firstOffset + index),
        key: message.item,
        value: encodeEvent(OrderPlaced, message),
      })
    );
    return chunk;
  };
  const first = decideAll([order, shouted], 0);
  assert.deepEqual(first.entries.map(({ outcome }) => outcome.kind), ["decided", "duplicate"]);
  applyChunk(state, first.committed(start));
  const second = decideAll([shouted], 2);
  assert.deepEqual(second.entries.map(({ outcome }) => outcome.kind), ["duplicate"]);
});

Deno.test("a decided-orders record from any year the schema takes restores, and is forgotten as old", () => {
  const state = initialState(PARTITION, { menu: MENU, partitionFor });
  const ids = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
  for (const [index, decidedAt] of ["0001-01-01T00:00:00Z", "1969-12-31T23:59:00Z"].entries()) {
    applyDecidedRecord(
      state,
      DecidedChunk.parse({ order_ids: [ids[index]], decided_at: decidedAt }),
    );
  }
  applyDecidedRecord(
    state,
    DecidedChunk.parse({ order_ids: [ids[2]], decided_at: "9999-12-31T23:59:59Z" }),
  );
  assert.deepEqual(ids.map((id) => state.decided.has(id)), [true, true, true]);
  assert.equal(state.decided.forgetBefore(start), 2, "the two from before 1970 are the oldest");
  assert.deepEqual(ids.map((id) => state.decided.has(id)), [false, false, true]);
});
