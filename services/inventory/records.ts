/**
 * The records one chunk of decisions writes, all in one transaction: the results, the new stock
 * levels, the decided order ids, and the dead letters.
 * @module
 */
import { deadLetterHeaders } from "@campus/shared/dead_letter";
import { Buffer } from "node:buffer";
import type { Message, TopicMessages } from "kafkajs";
import { z } from "zod";
import { encodeEvent } from "@campus/shared/events/codec";
import { SCHEMA_BY_TOPIC } from "@campus/shared/events/by_topic";
import { Item, UtcTimestamp } from "@campus/shared/events/fields";
import {
  INVENTORY_CHANGELOG,
  INVENTORY_DECIDED,
  INVENTORY_EVENTS,
  ORDER_EVENTS,
  ORDER_EVENTS_DLQ,
} from "@campus/shared/topics";
import type { ConsumedMessage, Outcome } from "./decide.ts";

/** A changelog record: what remains of an item. Key = item. */
export const StockLevel = z.strictObject({ item: Item, remaining: z.int().min(0) });
/** A changelog record: what remains of an item. */
export type StockLevel = z.infer<typeof StockLevel>;

/**
 * A decided-orders record: the order ids one chunk decided. One record per chunk, not per order:
 * kafkajs's encoding cost is per record, and this halves the records the service writes.
 * Key = `<partition>:<last offset of the chunk>`, unique, so retention (not compaction) ends it.
 */
export const DecidedChunk = z.strictObject({
  order_ids: z.array(z.uuid()),
  decided_at: UtcTimestamp,
});
/** A decided-orders record. */
export type DecidedChunk = z.infer<typeof DecidedChunk>;

/** One decided message of a chunk. */
export interface ChunkEntry {
  message: ConsumedMessage;
  outcome: Outcome;
}

/**
 * Every record a chunk writes. Results and state go to the consumed partition's number in each
 * topic, so whoever owns order partition N finds its state in partition N of the changelogs.
 */
export function chunkRecords(
  partition: number,
  options: {
    entries: readonly ChunkEntry[];
    stockChanges: ReadonlyMap<string, number>;
    /** When the chunk commits: the decisions' time and the dead letters' failure time. */
    committedAt: string;
  },
): TopicMessages[] {
  const results: Message[] = [];
  const decidedIds: string[] = [];
  const deadLetters: Message[] = [];
  let lastOffset = "";
  for (const { message, outcome } of options.entries) {
    lastOffset = message.offset;
    if (outcome.kind === "decided") {
      const { event } = outcome;
      results.push({
        key: event.item,
        value: encodeEvent(SCHEMA_BY_TOPIC[INVENTORY_EVENTS], event),
        partition,
      });
      decidedIds.push(event.order_id);
    } else if (outcome.kind === "dead_letter") {
      deadLetters.push({
        key: asKafkaBytes(message.key),
        value: asKafkaBytes(message.value),
        partition: 0,
        headers: deadLetterHeaders({
          reason: outcome.reason,
          detail: outcome.detail,
          topic: ORDER_EVENTS,
          partition: message.partition,
          offset: message.offset,
          failedAt: options.committedAt,
        }),
      });
    }
  }
  const stock: Message[] = [...options.stockChanges].map(([item, remaining]) => ({
    key: item,
    value: JSON.stringify(StockLevel.parse({ item, remaining })),
    partition,
  }));
  const decided: Message[] = decidedIds.length === 0 ? [] : [{
    key: `${partition}:${lastOffset}`,
    value: JSON.stringify(
      DecidedChunk.parse({ order_ids: decidedIds, decided_at: options.committedAt }),
    ),
    partition,
  }];
  return [
    { topic: INVENTORY_EVENTS, messages: results },
    { topic: INVENTORY_CHANGELOG, messages: stock },
    { topic: INVENTORY_DECIDED, messages: decided },
    { topic: ORDER_EVENTS_DLQ, messages: deadLetters },
  ].filter((topic) => topic.messages.length > 0);
}

/** Header of a fence record, saying why it exists (read_committed readers never see it). */
export const FENCE_HEADER = "inventory.fence";

/**
 * The records of a fence: one per partition a partition's transactional producer writes, in a
 * transaction that is then aborted. The abort marker it leaves in each of them ends whatever a
 * previous session of the same producer id left open there, as aborted.
 *
 * Why records at all: fencing by InitProducerId alone aborts only the transaction the coordinator
 * knows of. After a broker restart in the middle of a transaction the coordinator can have lost
 * it while the partitions still hold its records as open (seen in the chaos campaign, seed 2026);
 * the next transaction of the same producer id then committed them along with its own, so orders
 * the restore had not seen were decided a second time. Records are the only way kafkajs adds a
 * partition to a transaction. They carry no value and a header saying what they are; consumers
 * that read committed data (all of ours) never see them.
 */
export function fenceRecords(partition: number): TopicMessages[] {
  const fence = (partition: number): Message => ({
    key: "fence",
    value: null,
    partition,
    headers: { [FENCE_HEADER]: "aborted on purpose: ends a transaction left open" },
  });
  return [
    { topic: INVENTORY_EVENTS, messages: [fence(partition)] },
    { topic: INVENTORY_CHANGELOG, messages: [fence(partition)] },
    { topic: INVENTORY_DECIDED, messages: [fence(partition)] },
    { topic: ORDER_EVENTS_DLQ, messages: [fence(0)] },
  ];
}

// The original bytes, as kafkajs takes them: a Buffer view, no copy.
function asKafkaBytes(bytes: Uint8Array | string | null): Buffer | string | null {
  if (bytes === null || typeof bytes === "string") return bytes;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
