/**
 * Order ids derived from a client's `Idempotency-Key`, so a retried request names the same order
 * and consumers can drop the duplicate by `order_id`.
 * @module
 */

/** Namespace of our name-based (v5) order ids. Changing it would change every derived id. */
const ORDER_ID_NAMESPACE = "6f1c9a52-3b7e-4d0a-9e51-2c8d4b7a0f13";

/** Accepted keys: 1-128 visible ASCII characters, as clients usually send UUIDs or similar. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;

function uuidBytes(uuid: string): Uint8Array {
  const hex = uuid.replaceAll("-", "");
  return Uint8Array.from(
    { length: 16 },
    (_, index) => parseInt(hex.slice(index * 2, index * 2 + 2), 16),
  );
}

function formatUuid(bytes: Uint8Array): string {
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${
    hex.slice(20)
  }`;
}

/** RFC 9562 UUIDv5 (SHA-1, name-based) of `name` in `namespace`. */
export async function uuidV5(namespace: string, name: string): Promise<string> {
  const nameBytes = new TextEncoder().encode(name);
  const input = new Uint8Array(16 + nameBytes.length);
  input.set(uuidBytes(namespace));
  input.set(nameBytes, 16);
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-1", input)).slice(0, 16);
  hash[6] = (hash[6]! & 0x0f) | 0x50; // version 5
  hash[8] = (hash[8]! & 0x3f) | 0x80; // RFC variant
  return formatUuid(hash);
}

/** What identifies an order's content, as a stable string. */
function fingerprintOf(order: { user_id: string; item: string; quantity: number }): string {
  return JSON.stringify([order.user_id, order.item, order.quantity]);
}

/**
 * The order id for a key and an order. It depends on the user, the key and the order itself, so
 * it holds whether or not the service still remembers the key: a retry of the same order always
 * names the same order (consumers drop the repeat), and a key reused for a different order, once
 * forgotten, names a new order instead of passing for the first one. Scoped by user, so two users
 * who happen to pick the same key get different orders; `index` tells the orders of one batch
 * request apart.
 */
export function orderIdForKey(
  order: { user_id: string; item: string; quantity: number },
  key: string,
  index?: number,
): Promise<string> {
  const place = index === undefined ? "order" : `batch ${index}`;
  return uuidV5(ORDER_ID_NAMESPACE, `${key}\n${place}\n${fingerprintOf(order)}`);
}
