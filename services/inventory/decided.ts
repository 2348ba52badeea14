/**
 * The order ids a partition has decided, remembered so a re-published OrderPlaced (a client retry
 * with the same Idempotency-Key) is not decided twice.
 *
 * Bounded twice: by time (ids decided more than the window ago are forgotten, as the changelog's
 * retention forgets them) and by count (beyond `maxEntries` the oldest decisions are forgotten
 * first). An id costs about 80 bytes of heap, so the default bound of 100,000 per partition keeps
 * three partitions under 25 MB for any history. Past the bound, exactness holds for repeats among
 * the newest `maxEntries` decisions of a partition; a repeat of an older order would be decided
 * again. The restore applies the same rule to the same decision order, so a restarted instance
 * remembers exactly what the live one did.
 * @module
 */

/** Default bound on remembered ids per partition. */
export const DEFAULT_MAX_DECIDED_PER_PARTITION = 100_000;

/** Decided order ids with the minute they were decided, oldest first. */
export class DecidedOrders {
  // Minutes since the epoch: small integers (Smis), so a value costs no heap of its own.
  #decidedAtMinute = new Map<string, number>();

  constructor(readonly maxEntries: number = DEFAULT_MAX_DECIDED_PER_PARTITION) {}

  /** Whether `orderId` was decided (and is still remembered). */
  has(orderId: string): boolean {
    return this.#decidedAtMinute.has(orderId);
  }

  /** Records `orderId` as decided at `timestampMs`, forgetting the oldest beyond the bound. */
  add(orderId: string, timestampMs: number): void {
    // Deleted first, so an id decided again moves to the newest end, as its changelog record.
    this.#decidedAtMinute.delete(orderId);
    this.#decidedAtMinute.set(orderId, Math.floor(timestampMs / 60_000));
    if (this.#decidedAtMinute.size > this.maxEntries) {
      // Insertion order is decision order: the first key is the oldest decision.
      const oldest = this.#decidedAtMinute.keys().next().value;
      if (oldest !== undefined) this.#decidedAtMinute.delete(oldest);
    }
  }

  /** How many ids are remembered. */
  get size(): number {
    return this.#decidedAtMinute.size;
  }

  /** Forgets ids decided in minutes before the one of `cutoffMs`, as the changelog does. */
  forgetBefore(cutoffMs: number): number {
    const cutoffMinute = Math.floor(cutoffMs / 60_000);
    let forgotten = 0;
    for (const [orderId, minute] of this.#decidedAtMinute) {
      if (minute >= cutoffMinute) break; // insertion order is decision order
      this.#decidedAtMinute.delete(orderId);
      forgotten++;
    }
    return forgotten;
  }
}
