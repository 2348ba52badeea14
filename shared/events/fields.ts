/**
 * Field schemas shared by the HTTP API and the events, so a value the API accepts is always one
 * every consumer accepts, and the bounds are written down once.
 * @module
 */
import { z } from "zod";

/** Longest `user_id` and `item`, in characters. */
export const MAX_NAME_LENGTH = 64;
/** Largest quantity of one order. */
export const MAX_QUANTITY = 100;

// Control characters would forge log lines and break terminals; names need one visible character.
const printable = /^[^\p{Cc}]*[^\p{Cc}\s][^\p{Cc}]*$/u;

function boundedName(field: string) {
  return z.string({
    error: (issue) =>
      issue.input === undefined ? `${field} is required` : `${field} must be a string`,
  })
    .min(1, { error: `${field} must not be empty`, abort: true })
    .max(MAX_NAME_LENGTH, { error: `${field} must be at most ${MAX_NAME_LENGTH} characters` })
    .regex(printable, {
      error: `${field} must contain a visible character and no control characters`,
    })
    // A lone surrogate is no character at all: JSON carries it only as a 6-byte escape, other
    // languages' decoders replace or reject it, and it would inflate an event sixfold.
    .refine((value) => value.isWellFormed(), {
      error: `${field} must be valid Unicode text (it holds a lone surrogate)`,
    });
}

/** Who ordered: a non-empty string of at most 64 characters. */
export const UserId = boundedName("user_id");
/** What was ordered; also the Kafka message key, so each item's orders stay on one partition. */
export const Item = boundedName("item");
/** How many: an integer from 1 to 100. */
export const Quantity = z.number({
  error: (issue) =>
    issue.input === undefined ? "quantity is required" : "quantity must be a number",
})
  .int({ error: "quantity must be an integer" })
  .min(1, { error: "quantity must be at least 1" })
  .max(MAX_QUANTITY, { error: `quantity must be at most ${MAX_QUANTITY}` });

/** An event's timestamp: ISO-8601 in UTC with a `Z`, e.g. `2026-11-27T08:00:00.000Z`. */
export const UtcTimestamp = z.iso.datetime({
  error: "must be an ISO-8601 UTC timestamp ending in Z",
});
