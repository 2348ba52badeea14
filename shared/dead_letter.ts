/**
 * Dead letters: what a consumer writes to a `.dlq` topic for a message it cannot use, with the
 * original bytes as value and why in headers. One place for the header names and their bounds.
 * @module
 */

/** Header names on dead letters. */
export const DLQ_HEADERS = {
  reason: "dlq.reason",
  detail: "dlq.detail",
  topic: "dlq.original.topic",
  partition: "dlq.original.partition",
  offset: "dlq.original.offset",
  failedAt: "dlq.failed_at",
} as const;

/**
 * Longest `dlq.detail`, in characters. A message with thousands of bad fields has thousands of
 * validation issues; unbounded, their text plus the original value could exceed the broker's
 * message.max.bytes, and the dead letter that should unblock the consumer would fail forever.
 */
export const MAX_DETAIL_CHARS = 1_000;

/** Where a dead message came from and why it could not be used. */
export interface DeadLetterCause {
  reason: string;
  detail: string;
  topic: string;
  partition: number;
  offset: string;
  failedAt: string;
}

/** `detail` cut to {@linkcode MAX_DETAIL_CHARS}, saying how much was cut. */
export function boundedDetail(detail: string): string {
  if (detail.length <= MAX_DETAIL_CHARS) return detail;
  const kept = detail.slice(0, MAX_DETAIL_CHARS - 40);
  return `${kept}… (${detail.length - kept.length} more characters)`;
}

/** The headers of a dead letter, each bounded. */
export function deadLetterHeaders(cause: DeadLetterCause): Record<string, string> {
  return {
    [DLQ_HEADERS.reason]: cause.reason,
    [DLQ_HEADERS.detail]: boundedDetail(cause.detail),
    [DLQ_HEADERS.topic]: cause.topic,
    [DLQ_HEADERS.partition]: String(cause.partition),
    [DLQ_HEADERS.offset]: cause.offset,
    [DLQ_HEADERS.failedAt]: cause.failedAt,
  };
}
