/**
 * Remembers recent requests by idempotency key, so a retry gets the first answer instead of
 * publishing the order again. Bounded: the oldest keys are forgotten first, after which a retry
 * is published again under the same order_id and consumers drop it by order_id.
 * @module
 */

/** The same key came with a different request. */
export class IdempotencyConflict extends Error {
  override name = "IdempotencyConflict";
}

/** A bounded map from key to the first result obtained for it. */
export class IdempotencyCache<T> {
  #entries = new Map<string, { fingerprint: string; result: Promise<T> }>();

  constructor(readonly capacity: number) {}

  /**
   * Runs `work` for a new key; returns the first result for a known key with the same
   * fingerprint; throws {@linkcode IdempotencyConflict} for a known key with another fingerprint.
   * Failures are not remembered, so a retry after a 503 really retries.
   */
  run(key: string, fingerprint: string, work: () => Promise<T>): Promise<T> {
    const known = this.#entries.get(key);
    if (known) {
      if (known.fingerprint !== fingerprint) {
        return Promise.reject(
          new IdempotencyConflict("Idempotency-Key was already used for a different order"),
        );
      }
      return known.result;
    }
    const result = work();
    this.#entries.set(key, { fingerprint, result });
    result.catch(() => {
      if (this.#entries.get(key)?.result === result) this.#entries.delete(key);
    });
    if (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    return result;
  }
}
