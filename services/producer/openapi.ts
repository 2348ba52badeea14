/**
 * The producer's OpenAPI 3.1 document, generated from the same zod schemas that validate requests,
 * so the documented bounds cannot drift from the enforced ones.
 * @module
 */
import { z } from "zod";
import { OrderPlaced } from "@campus/shared/events/order_placed";
import {
  BATCH_BODY_LIMIT_BYTES,
  BatchAccepted,
  ErrorBody,
  MAX_BATCH_ORDERS,
  ORDER_BODY_LIMIT_BYTES,
  OrderAccepted,
  OrderBatchRequest,
  OrderQueued,
  OrderRequest,
} from "./order_request.ts";

const schemas = {
  OrderRequest,
  OrderBatchRequest,
  OrderAccepted,
  OrderQueued,
  BatchAccepted,
  ErrorBody,
  OrderPlaced,
};

function component(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: "draft-2020-12",
    io: "input",
  });
  return rest;
}

const ref = (name: keyof typeof schemas) => ({ $ref: `#/components/schemas/${name}` });
const jsonContent = (name: keyof typeof schemas) => ({ "application/json": { schema: ref(name) } });
const error = (description: string) => ({ description, content: jsonContent("ErrorBody") });
const unavailable = {
  description:
    "Kafka did not acknowledge within the deadline, or is unreachable, and the order could not be " +
    "queued either (outbox full, or ORDER_OUTBOX=off). `reason` names the cause (not_connected, " +
    "timed_out, send_failed, too_large, overloaded, shutting_down, outbox_full, outbox_unavailable) " +
    "and `may_have_been_written` says whether a send was attempted: retry with the same " +
    "Idempotency-Key.",
  headers: {
    "Retry-After": { schema: { type: "integer" }, description: "Seconds to wait before retrying" },
  },
  content: jsonContent("ErrorBody"),
};
const idempotencyKey = {
  name: "Idempotency-Key",
  in: "header",
  required: false,
  description:
    "1-128 visible ASCII characters. The same key (for the same user) always yields the same " +
    "order_id, so a retried request cannot create a second order.",
  schema: { type: "string", pattern: "^[\\x21-\\x7e]{1,128}$" },
};

/** Builds the OpenAPI document. */
export function buildOpenApi(): Record<string, unknown> {
  return {
    openapi: "3.1.0",
    info: {
      title: "Campus orders: Producer Order service",
      version: "1.0.0",
      description:
        "Accepts orders and publishes OrderPlaced events to the Kafka topic order-events " +
        "(key = item). A 2xx is sent only after Kafka acknowledged the event (acks=all, idempotent producer).",
    },
    paths: {
      "/order": {
        post: {
          summary: "Place one order",
          parameters: [idempotencyKey],
          requestBody: {
            required: true,
            description:
              `JSON, at most ${ORDER_BODY_LIMIT_BYTES} bytes. Unknown fields are rejected.`,
            content: jsonContent("OrderRequest"),
          },
          responses: {
            "202": {
              description: "Kafka acknowledged the OrderPlaced event (status accepted), or Kafka " +
                "could not take it in time and it is stored in the producer's durable outbox, to " +
                "be relayed in order once Kafka is back (status queued)",
              content: {
                "application/json": {
                  schema: { oneOf: [ref("OrderAccepted"), ref("OrderQueued")] },
                },
              },
            },
            "400": error(
              "Malformed JSON, schema violation, or bad Idempotency-Key; nothing was published",
            ),
            "413": error(`Body larger than ${ORDER_BODY_LIMIT_BYTES} bytes`),
            "415": error("Content-Type is not application/json"),
            "422": error("Idempotency-Key reused with a different order"),
            "503": unavailable,
          },
        },
      },
      "/orders/batch": {
        post: {
          summary:
            `Place up to ${MAX_BATCH_ORDERS} orders: all valid are published, any invalid publishes none`,
          parameters: [idempotencyKey],
          requestBody: {
            required: true,
            description: `JSON, at most ${BATCH_BODY_LIMIT_BYTES} bytes.`,
            content: jsonContent("OrderBatchRequest"),
          },
          responses: {
            "202": {
              description:
                "Kafka acknowledged every event (status accepted), or all are in the outbox (status queued)",
              content: jsonContent("BatchAccepted"),
            },
            "400": error(
              "Some orders are invalid; issues name each bad index; nothing was published",
            ),
            "413": error(`Body larger than ${BATCH_BODY_LIMIT_BYTES} bytes`),
            "415": error("Content-Type is not application/json"),
            "503": unavailable,
          },
        },
      },
      "/health": {
        get: {
          summary: "Liveness: 200 while the process runs",
          responses: { "200": { description: "Alive" } },
        },
      },
      "/ready": {
        get: {
          summary: "Readiness: 200 only while the producer is connected to Kafka",
          responses: { "200": { description: "Ready" }, "503": unavailable },
        },
      },
      "/metrics": {
        get: {
          summary: "Prometheus metrics",
          responses: { "200": { description: "Prometheus text format" } },
        },
      },
      "/openapi.json": {
        get: { summary: "This document", responses: { "200": { description: "OpenAPI 3.1" } } },
      },
      "/asyncapi.json": {
        get: {
          summary: "The topics, their messages and dead letters",
          responses: { "200": { description: "AsyncAPI 3.0" } },
        },
      },
    },
    components: {
      schemas: Object.fromEntries(
        Object.entries(schemas).map(([name, schema]) => [name, component(schema)]),
      ),
    },
  };
}
