/**
 * Requests the producer must turn away, each with the status and message it must answer with.
 * Shared by the in-process handler tests and the integration test against the real service,
 * which also checks that none of them moved the topic's end offsets.
 * @module
 */

/** One bad request. */
export interface BadRequest {
  name: string;
  method?: string;
  path?: string;
  contentType?: string | null;
  body?: string | Uint8Array<ArrayBuffer>;
  headers?: Record<string, string>;
  status: number;
  message: RegExp;
}

const good = { user_id: "student-1", item: "pizza", quantity: 1 };
const order = (patch: Record<string, unknown>) => JSON.stringify({ ...good, ...patch });
const without = (field: string) =>
  JSON.stringify(Object.fromEntries(Object.entries(good).filter(([key]) => key !== field)));
const batch = (orders: unknown) => JSON.stringify({ orders });

/** The corpus: at least 40 distinct ways to get it wrong. */
export const BAD_REQUESTS: readonly BadRequest[] = [
  // Not JSON at all.
  { name: "a lone brace", body: "{", status: 400, message: /^Body is not valid JSON/ },
  {
    name: "truncated JSON",
    body: order({}).slice(0, -1),
    status: 400,
    message: /^Body is not valid JSON/,
  },
  {
    name: "a trailing comma",
    body: '{"user_id":"u",}',
    status: 400,
    message: /^Body is not valid JSON/,
  },
  {
    name: "single-quoted JSON",
    body: "{'user_id':'u'}",
    status: 400,
    message: /^Body is not valid JSON/,
  },
  { name: "an empty body", body: "", status: 400, message: /^Body is empty/ },
  { name: "a body of spaces", body: "   ", status: 400, message: /^Body is not valid JSON/ },
  {
    name: "bytes that are not UTF-8",
    body: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
    status: 400,
    message: /not valid UTF-8/,
  },
  // JSON, but not an object.
  { name: "null", body: "null", status: 400, message: /order must be a JSON object/ },
  { name: "an empty array", body: "[]", status: 400, message: /order must be a JSON object/ },
  {
    name: "an array holding an order",
    body: `[${order({})}]`,
    status: 400,
    message: /order must be a JSON object/,
  },
  { name: "a string", body: '"pizza"', status: 400, message: /order must be a JSON object/ },
  { name: "a number", body: "42", status: 400, message: /order must be a JSON object/ },
  { name: "a boolean", body: "true", status: 400, message: /order must be a JSON object/ },
  // Missing fields.
  {
    name: "an empty object",
    body: "{}",
    status: 400,
    message: /user_id is required; item is required; quantity is required/,
  },
  { name: "no user_id", body: without("user_id"), status: 400, message: /user_id is required/ },
  { name: "no item", body: without("item"), status: 400, message: /item is required/ },
  { name: "no quantity", body: without("quantity"), status: 400, message: /quantity is required/ },
  // Wrong types.
  {
    name: "a numeric user_id",
    body: order({ user_id: 42 }),
    status: 400,
    message: /user_id must be a string/,
  },
  {
    name: "an object user_id",
    body: order({ user_id: { id: 1 } }),
    status: 400,
    message: /user_id must be a string/,
  },
  {
    name: "a null item",
    body: order({ item: null }),
    status: 400,
    message: /item must be a string/,
  },
  {
    name: "an array item",
    body: order({ item: ["pizza"] }),
    status: 400,
    message: /item must be a string/,
  },
  {
    name: "a string quantity",
    body: order({ quantity: "2" }),
    status: 400,
    message: /quantity must be a number/,
  },
  {
    name: "a null quantity",
    body: order({ quantity: null }),
    status: 400,
    message: /quantity must be a number/,
  },
  {
    name: "a boolean quantity",
    body: order({ quantity: true }),
    status: 400,
    message: /quantity must be a number/,
  },
  // Quantities out of range.
  {
    name: "zero quantity",
    body: order({ quantity: 0 }),
    status: 400,
    message: /quantity must be at least 1/,
  },
  {
    name: "a negative quantity",
    body: order({ quantity: -3 }),
    status: 400,
    message: /quantity must be at least 1/,
  },
  {
    name: "a fractional quantity",
    body: order({ quantity: 1.5 }),
    status: 400,
    message: /quantity must be an integer/,
  },
  {
    name: "quantity 101",
    body: order({ quantity: 101 }),
    status: 400,
    message: /quantity must be at most 100/,
  },
  {
    name: "a huge quantity",
    body: order({ quantity: 1e308 }),
    status: 400,
    message: /quantity must be at most 100/,
  },
  {
    name: "a quantity beyond a double",
    body: '{"user_id":"u","item":"pizza","quantity":1e400}',
    status: 400,
    message: /quantity must be/,
  },
  // Bad strings.
  {
    name: "an empty user_id",
    body: order({ user_id: "" }),
    status: 400,
    message: /user_id must not be empty/,
  },
  {
    name: "a blank user_id",
    body: order({ user_id: "   " }),
    status: 400,
    message: /user_id must contain a visible character/,
  },
  {
    name: "a 65-character user_id",
    body: order({ user_id: "u".repeat(65) }),
    status: 400,
    message: /user_id must be at most 64 characters/,
  },
  {
    name: "a 1000-character item",
    body: order({ item: "x".repeat(1000) }),
    status: 400,
    message: /item must be at most 64 characters/,
  },
  {
    name: "a NUL in user_id",
    body: order({ user_id: "a\u0000b" }),
    status: 400,
    message: /user_id .*no control characters/,
  },
  {
    name: "a lone surrogate in user_id",
    body: order({ user_id: "student-\ud800" }),
    status: 400,
    message: /user_id must be valid Unicode text \(it holds a lone surrogate\)/,
  },
  {
    name: "64 lone surrogates as item, 1000 times in a batch",
    path: "/orders/batch",
    body: batch(Array.from({ length: 1000 }, () => ({ ...good, item: "\udc00".repeat(64) }))),
    status: 400,
    message: /orders\[0\]: item must be valid Unicode text/,
  },
  {
    name: "a newline in item",
    body: order({ item: "piz\nza" }),
    status: 400,
    message: /item .*no control characters/,
  },
  // Unknown fields.
  {
    name: "an unknown field",
    body: order({ color: "red" }),
    status: 400,
    message: /Unrecognized key: "color"/,
  },
  {
    name: "two unknown fields",
    body: order({ a: 1, b: 2 }),
    status: 400,
    message: /Unrecognized keys: "a", "b"/,
  },
  {
    name: "a misspelt quantity",
    body: JSON.stringify({ user_id: "u", item: "pizza", quantiy: 2 }),
    status: 400,
    message: /quantity is required; Unrecognized key: "quantiy"/,
  },
  {
    name: "a __proto__ key",
    body: '{"__proto__":{"admin":true},"user_id":"u","item":"pizza","quantity":1}',
    status: 400,
    message: /Unrecognized key: "__proto__"/,
  },
  {
    name: "a constructor key",
    body: order({ constructor: {} }),
    status: 400,
    message: /Unrecognized key: "constructor"/,
  },
  // Content type and size.
  {
    name: "text/plain",
    contentType: "text/plain",
    body: order({}),
    status: 415,
    message: /^Content-Type must be application\/json, got "text\/plain"/,
  },
  {
    name: "no content type",
    contentType: null,
    body: order({}),
    status: 415,
    message: /^Content-Type must be application\/json, got none/,
  },
  {
    name: "a form post",
    contentType: "application/x-www-form-urlencoded",
    body: "user_id=u&item=pizza&quantity=1",
    status: 415,
    message: /^Content-Type must be application\/json/,
  },
  {
    name: "a 20 KB body",
    body: order({ padding: "x".repeat(20_000) }),
    status: 413,
    message: /^Body must be at most 16384 bytes/,
  },
  // Idempotency keys.
  {
    name: "a 200-character Idempotency-Key",
    headers: { "idempotency-key": "k".repeat(200) },
    body: order({}),
    status: 400,
    message: /^Idempotency-Key must be 1-128 visible ASCII characters/,
  },
  {
    name: "an Idempotency-Key with a space",
    headers: { "idempotency-key": "two words" },
    body: order({}),
    status: 400,
    message: /^Idempotency-Key must be/,
  },
  // Wrong method or path.
  {
    name: "GET /order",
    method: "GET",
    status: 405,
    message: /^Method GET is not allowed on \/order; use POST/,
  },
  {
    name: "PUT /order",
    method: "PUT",
    body: order({}),
    status: 405,
    message: /^Method PUT is not allowed on \/order/,
  },
  {
    name: "POST /orders",
    path: "/orders",
    body: order({}),
    status: 404,
    message: /^Not found: \/orders/,
  },
  // Batches: any invalid order publishes none.
  {
    name: "a batch with bad orders at indexes 1 and 3",
    path: "/orders/batch",
    body: batch([good, { ...good, quantity: 0 }, good, { ...good, item: "" }]),
    status: 400,
    message:
      /^Invalid batch: orders\[1\]: quantity must be at least 1; orders\[3\]: item must not be empty$/,
  },
  {
    name: "an empty batch",
    path: "/orders/batch",
    body: batch([]),
    status: 400,
    message: /orders must hold at least 1 order/,
  },
  {
    name: "a batch of 1001 orders",
    path: "/orders/batch",
    body: batch(Array.from({ length: 1001 }, () => good)),
    status: 400,
    message: /orders must hold at most 1000 orders/,
  },
  {
    name: "a batch whose orders is an object",
    path: "/orders/batch",
    body: JSON.stringify({ orders: good }),
    status: 400,
    message: /orders must be an array/,
  },
  {
    name: "a batch with an unknown top-level field",
    path: "/orders/batch",
    body: JSON.stringify({ orders: [good], priority: "high" }),
    status: 400,
    message: /Unrecognized key: "priority"/,
  },
  {
    name: "a batch order with an unknown field",
    path: "/orders/batch",
    body: batch([good, { ...good, note: "extra cheese" }]),
    status: 400,
    message: /orders\[1\]: Unrecognized key: "note"/,
  },
  {
    name: "a batch that is an array",
    path: "/orders/batch",
    body: batch([good]).slice(10, -1),
    status: 400,
    message: /body must be a JSON object/,
  },
];

/** Builds the `Request` for a case against `baseUrl`. */
export function toRequest(baseUrl: string, bad: BadRequest): Request {
  const headers = new Headers(bad.headers);
  const contentType = bad.contentType === undefined ? "application/json" : bad.contentType;
  if (contentType !== null) headers.set("content-type", contentType);
  return new Request(`${baseUrl}${bad.path ?? "/order"}`, {
    method: bad.method ?? "POST",
    headers,
    // Bytes, not a string: a string body would get a text/plain Content-Type added for us.
    body: typeof bad.body === "string" ? new TextEncoder().encode(bad.body) : bad.body,
  });
}
