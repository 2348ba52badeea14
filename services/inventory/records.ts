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

// The original bytes, as kafkajs takes them: a Buffer view, no copy.
function asKafkaBytes(bytes: Uint8Array | string | null): Buffer | string | null {
  if (bytes === null || typeof bytes === "string") return bytes;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
