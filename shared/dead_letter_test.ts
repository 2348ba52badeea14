import assert from "node:assert/strict";
import { boundedDetail, deadLetterHeaders, DLQ_HEADERS, MAX_DETAIL_CHARS } from "./dead_letter.ts";

Deno.test("deadLetterHeaders() names the cause and keeps a short detail whole", () => {
  const headers = deadLetterHeaders({
    reason: "schema_mismatch",
    detail: "quantity: must be at least 1",
    topic: "order-events",
    partition: 2,
    offset: "41",
    failedAt: "2026-11-27T08:00:00.000Z",
  });
  assert.deepEqual(headers, {
    [DLQ_HEADERS.reason]: "schema_mismatch",
    [DLQ_HEADERS.detail]: "quantity: must be at least 1",
    [DLQ_HEADERS.topic]: "order-events",
    [DLQ_HEADERS.partition]: "2",
    [DLQ_HEADERS.offset]: "41",
    [DLQ_HEADERS.failedAt]: "2026-11-27T08:00:00.000Z",
  });
});

Deno.test("boundedDetail() cuts thousands of issues to the bound and says how much it cut", () => {
  const detail = Array.from({ length: 5_000 }, (_, index) => `f${index}: bad`).join("; ");
  const bounded = boundedDetail(detail);
  assert.ok(bounded.length <= MAX_DETAIL_CHARS, String(bounded.length));
  assert.ok(bounded.startsWith("f0: bad; f1: bad"));
  assert.match(bounded, /… \(\d+ more characters\)$/);
});
