/**
 * Events to and from Kafka message values: `parse` on the way out (a failure is our bug),
 * `safeParse` on the way in (a failure is bad data, for the dead-letter topic).
 * @module
 */
import { describeIssues } from "../issues.ts";
import type { z } from "zod";

/** Serializes an event after validating it; throws if our own code built an invalid event. */
export function encodeEvent<Schema extends z.ZodType>(
  schema: Schema,
  event: z.input<Schema>,
): string {
  return JSON.stringify(schema.parse(event));
}

/** Why a message could not be decoded, for the dead-letter headers. */
export interface DecodeFailure {
  ok: false;
  reason: "invalid_json" | "schema_mismatch" | "empty";
  detail: string;
}

// Shared: a decoder per message was measurable in the consumers' profiles, and a non-streaming
// decode keeps no state between calls.
const utf8 = new TextDecoder();

/** Decodes and validates a message value; never throws. */
export function decodeEvent<Schema extends z.ZodType>(
  schema: Schema,
  value: Uint8Array | string | null | undefined,
): { ok: true; event: z.output<Schema> } | DecodeFailure {
  if (value === null || value === undefined || value.length === 0) {
    return { ok: false, reason: "empty", detail: "Message has no value" };
  }
  let json: unknown;
  try {
    json = JSON.parse(typeof value === "string" ? value : utf8.decode(value));
  } catch (error) {
    return {
      ok: false,
      reason: "invalid_json",
      detail: `Cannot parse JSON: ${(error as Error).message}`,
    };
  }
  const result = schema.safeParse(json);
  if (result.success) return { ok: true, event: result.data };
  const detail = describeIssues(result.error.issues, { root: "(root)" });
  return { ok: false, reason: "schema_mismatch", detail };
}
