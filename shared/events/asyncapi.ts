/**
 * The AsyncAPI 3.0 document of the event topics, generated from the same zod schemas that every
 * producer encodes with and every consumer validates with, so the documented payloads cannot drift
 * from the enforced ones. `deno task asyncapi` writes it to docs/asyncapi.json.
 * @module
 */
import { z } from "zod";
import { DLQ_HEADERS, MAX_DETAIL_CHARS } from "../dead_letter.ts";
import {
  DEFAULT_EVENT_PARTITIONS,
  INVENTORY_EVENTS,
  INVENTORY_EVENTS_DLQ,
  ORDER_EVENTS,
  ORDER_EVENTS_DLQ,
} from "../topics.ts";
import { InventoryFailed, InventoryReserved } from "./inventory.ts";
import { OrderPlaced } from "./order_placed.ts";

/** The event schemas the document describes, by message name. */
export const MESSAGE_SCHEMAS = { OrderPlaced, InventoryReserved, InventoryFailed } as const;

/**
 * A message payload as JSON Schema draft-07, the dialect AsyncAPI's default schema format is
 * built on (a `$schema` naming another dialect would make strict parsers refuse the document).
 */
function payload(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: "draft-7",
    io: "output",
  });
  return rest;
}

const itemKey = {
  type: "string",
  description: "The item: all orders of an item are on one partition, in order.",
};

function eventMessage(name: keyof typeof MESSAGE_SCHEMAS, summary: string) {
  return {
    name,
    title: name,
    summary,
    contentType: "application/json",
    payload: payload(MESSAGE_SCHEMAS[name]),
    bindings: { kafka: { key: itemKey, bindingVersion: "0.5.0" } },
  };
}

const deadLetter = {
  name: "DeadLetter",
  title: "Dead letter",
  summary: "A message a consumer could not use: its original key and value, and why in headers.",
  contentType: "application/octet-stream",
  headers: {
    type: "object",
    required: Object.values(DLQ_HEADERS),
    properties: {
      [DLQ_HEADERS.reason]: {
        type: "string",
        description: "Why: not_json, invalid_event, missing_value, wrong_partition, ...",
      },
      [DLQ_HEADERS.detail]: {
        type: "string",
        maxLength: MAX_DETAIL_CHARS,
        description: "What exactly failed (validation issues), cut to a bound",
      },
      [DLQ_HEADERS.topic]: { type: "string", description: "Topic the message was read from" },
      [DLQ_HEADERS.partition]: { type: "string", description: "Its partition, in decimal" },
      [DLQ_HEADERS.offset]: { type: "string", description: "Its offset, in decimal" },
      [DLQ_HEADERS.failedAt]: {
        type: "string",
        format: "date-time",
        description: "When it was dead-lettered (UTC)",
      },
    },
  },
  payload: { description: "The original value, byte for byte (possibly empty or not JSON)" },
  bindings: {
    kafka: {
      key: { type: ["string", "null"], description: "The original key, byte for byte (if any)" },
      bindingVersion: "0.5.0",
    },
  },
};

const kafkaTopic = (partitions: number) => ({
  kafka: {
    partitions,
    topicConfiguration: { "retention.ms": -1 },
    bindingVersion: "0.5.0",
  },
});

/** Builds the AsyncAPI document. */
export function buildAsyncApi(): Record<string, unknown> {
  const message = (name: string) => ({ $ref: `#/components/messages/${name}` });
  const channel = (name: string) => ({ $ref: `#/channels/${name}` });
  const channelMessage = (channelName: string, name: string) => ({
    $ref: `#/channels/${channelName}/messages/${name}`,
  });
  const orderMessages = [channelMessage("orderEvents", "OrderPlaced")];
  const decisionMessages = [
    channelMessage("inventoryEvents", "InventoryReserved"),
    channelMessage("inventoryEvents", "InventoryFailed"),
  ];
  return {
    asyncapi: "3.0.0",
    info: {
      title: "Campus orders",
      version: "1.0.0",
      description: "Orders placed over HTTP become events on Kafka; inventory decides each once " +
        "(exactly-once transactions); analytics counts the decisions. Payloads are JSON; " +
        "consumers read committed data only and send what fails validation to a dead-letter topic.",
    },
    defaultContentType: "application/json",
    servers: {
      local: {
        host: "127.0.0.1:9092",
        protocol: "kafka",
        description: "The broker `deno task up` starts (or KAFKA_BOOTSTRAP_SERVERS)",
      },
    },
    channels: {
      orderEvents: {
        address: ORDER_EVENTS,
        description: "Accepted orders, one event each; written by the producer service.",
        messages: { OrderPlaced: message("OrderPlaced") },
        bindings: kafkaTopic(DEFAULT_EVENT_PARTITIONS),
      },
      inventoryEvents: {
        address: INVENTORY_EVENTS,
        description: "One decision per order, written by the inventory service in the same " +
          "transaction as its stock changes and consumed offsets.",
        messages: {
          InventoryReserved: message("InventoryReserved"),
          InventoryFailed: message("InventoryFailed"),
        },
        bindings: kafkaTopic(DEFAULT_EVENT_PARTITIONS),
      },
      orderEventsDlq: {
        address: ORDER_EVENTS_DLQ,
        description: "Messages of order-events the inventory service could not use.",
        messages: { DeadLetter: message("DeadLetter") },
        bindings: kafkaTopic(1),
      },
      inventoryEventsDlq: {
        address: INVENTORY_EVENTS_DLQ,
        description: "Messages of inventory-events the analytics service could not use.",
        messages: { DeadLetter: message("DeadLetter") },
        bindings: kafkaTopic(1),
      },
    },
    operations: {
      placeOrder: {
        action: "send",
        summary: "The producer service publishes an order once POST /order is valid",
        channel: channel("orderEvents"),
        messages: orderMessages,
      },
      decideOrder: {
        action: "receive",
        summary: "The inventory service reserves stock for each order",
        channel: channel("orderEvents"),
        messages: orderMessages,
      },
      publishDecision: {
        action: "send",
        summary: "The inventory service publishes its decision",
        channel: channel("inventoryEvents"),
        messages: decisionMessages,
      },
      countDecision: {
        action: "receive",
        summary: "The analytics service counts each decision once (by order_id)",
        channel: channel("inventoryEvents"),
        messages: decisionMessages,
      },
      deadLetterOrder: {
        action: "send",
        summary: "The inventory service dead-letters an order-events message it cannot use",
        channel: channel("orderEventsDlq"),
        messages: [channelMessage("orderEventsDlq", "DeadLetter")],
      },
      deadLetterDecision: {
        action: "send",
        summary: "The analytics service dead-letters an inventory-events message it cannot use",
        channel: channel("inventoryEventsDlq"),
        messages: [channelMessage("inventoryEventsDlq", "DeadLetter")],
      },
    },
    components: {
      messages: {
        OrderPlaced: eventMessage("OrderPlaced", "An order was accepted"),
        InventoryReserved: eventMessage(
          "InventoryReserved",
          "Stock was reserved; `remaining` is what is left of the item",
        ),
        InventoryFailed: eventMessage(
          "InventoryFailed",
          "Stock could not be reserved: unknown_item or out_of_stock",
        ),
        DeadLetter: deadLetter,
      },
    },
  };
}
