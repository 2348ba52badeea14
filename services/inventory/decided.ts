/**
 * The order ids a partition has decided, remembered for a bounded window so a re-published
 * OrderPlaced (a client retry with the same Idempotency-Key) is not decided twice.
 * @module
 */

/** Decided order ids with the time they were decided, oldest first. */
export class DecidedOrders {
  #decidedAt = new Map<string, number>();

  /** Whether `orderId` was decided. */
  has(orderId: string): boolean {
    return this.#decidedAt.has(orderId);
  }

  /** Records `orderId` as decided at `timestampMs`. */
  add(orderId: string, timestampMs: number): void {
    this.#decidedAt.set(orderId, timestampMs);
  }

  /** How many ids are remembered. */
  get size(): number {
    return this.#decidedAt.size;
  }

  /** Forgets ids decided before `cutoffMs`, as the changelog's retention forgets them too. */
  forgetBefore(cutoffMs: number): number {
    let forgotten = 0;
    for (const [orderId, decidedAt] of this.#decidedAt) {
      if (decidedAt >= cutoffMs) break; // insertion order is decision order
      this.#decidedAt.delete(orderId);
      forgotten++;
    }
    return forgotten;
  }
}
