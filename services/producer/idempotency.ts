/**
 * Remembers recent requests by idempotency key, so a retry gets the first answer instead of
 * publishing the order again.
 *
 * Bounded by entries and by bytes: a request is remembered by a SHA-256 of its body (64 bytes,
 * whatever the body's size) and its answer, which for a batch of 1,000 orders is about 40 KB.
 * Past either bound the oldest keys are forgotten first. Forgetting costs no correctness: the
 * order ids derive from key and order, so a forgotten retry is published again under the same
 * order_id and the consumers drop it; only a key reused for a different order can no longer be
 * answered 422 (it becomes a new order, see order_ids.ts).
 * @module
 */

/** The same key came with a different request. */
export class IdempotencyConflict extends Error {
  override name = "IdempotencyConflict";
}

/** Bounds of an {@linkcode IdempotencyCache}. */
export interface IdempotencyBounds {
  maxEntries: number;
  /** Keys, digests and answers (as JSON), counted in UTF-16 code units, about bytes. */
  maxBytes: number;
}

/** Defaults: 10,000 keys and 8 MiB. */
export const DEFAULT_IDEMPOTENCY_BOUNDS: IdempotencyBounds = {
  maxEntries: 10_000,
  maxBytes: 8 * 1024 * 1024,
};

interface Entry<T> {
  fingerprint: string;
  result: Promise<T>;
  bytes: number;
  settled: boolean;
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** A bounded map from key to the first result obtained for it. */
export class IdempotencyCache<T> {
  #entries = new Map<string, Entry<T>>();
  #bytes = 0;
  #bounds: IdempotencyBounds;

  constructor(bounds: Partial<IdempotencyBounds> = {}) {
    this.#bounds = { ...DEFAULT_IDEMPOTENCY_BOUNDS, ...bounds };
  }

  /** Keys remembered now. */
  get size(): number {
    return this.#entries.size;
  }

  /** Bytes remembered now (keys, digests, answers). */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Runs `work` for a new key; returns the first result for a known key with the same
   * fingerprint; throws {@linkcode IdempotencyConflict} for a known key with another fingerprint.
   * Failures are not remembered, so a retry after a 503 really retries.
   */
  async run(key: string, request: string, work: () => Promise<T>): Promise<T> {
    const fingerprint = await sha256Hex(request);
    const known = this.#entries.get(key);
    if (known) {
      if (known.fingerprint !== fingerprint) {
        throw new IdempotencyConflict("Idempotency-Key was already used for a different order");
      }
      return await known.result;
    }
    const result = work();
    const entry: Entry<T> = {
      fingerprint,
      result,
      bytes: key.length + fingerprint.length,
      settled: false,
    };
    this.#entries.set(key, entry);
    this.#bytes += entry.bytes;
    this.#evict();
    try {
      const value = await result;
      entry.settled = true;
      if (this.#entries.get(key) === entry) {
        const answerBytes = JSON.stringify(value)?.length ?? 0;
        entry.bytes += answerBytes;
        this.#bytes += answerBytes;
        this.#evict();
      }
      return value;
    } catch (error) {
      if (this.#entries.get(key) === entry) this.#forget(key, entry);
      throw error;
    }
  }

  #forget(key: string, entry: Entry<T>): void {
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
  }

  /**
   * Forgets the oldest settled entries until within the bounds. An entry still running is never
   * forgotten: a concurrent retry must share its result rather than run the work again. So the
   * bounds can be exceeded only by requests in flight, which the batcher bounds in turn.
   */
  #evict(): void {
    for (const [key, entry] of this.#entries) {
      const over = this.#entries.size > this.#bounds.maxEntries ||
        (this.#bytes > this.#bounds.maxBytes && this.#entries.size > 1);
      if (!over) return;
      if (entry.settled) this.#forget(key, entry);
    }
  }
}
