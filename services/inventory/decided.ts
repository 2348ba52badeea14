/**
 * The order ids a partition has decided, remembered so a re-published OrderPlaced (a client retry
 * with the same Idempotency-Key) is not decided twice.
 *
 * Bounded twice: by time (ids decided more than the window ago are forgotten, as the changelog's
 * retention forgets them) and by count (beyond `maxEntries` the oldest decisions are forgotten
 * first). An id costs about 37 bytes (see IdWindow), so the default bound of 100,000 per
 * partition keeps all six partitions at about 22 MB for any history. Past the bound, exactness holds
 * for repeats among the newest `maxEntries` decisions of a partition; a repeat of an older order
 * would be decided again. The restore applies the same rule to the same decision order, so a restarted instance
 * remembers exactly what the live one did.
 * @module
 */
import { IdWindow } from "@campus/shared/id_window";

/** Default bound on remembered ids per partition. */
export const DEFAULT_MAX_DECIDED_PER_PARTITION = 100_000;

/** Decided order ids with the minute they were decided, oldest first. */
export class DecidedOrders {
  #window: IdWindow;

  constructor(readonly maxEntries: number = DEFAULT_MAX_DECIDED_PER_PARTITION) {
    this.#window = new IdWindow(maxEntries);
  }

  /** Whether `orderId` was decided (and is still remembered). */
  has(orderId: string): boolean {
    return this.#window.has(orderId);
  }

  /** Records `orderId` as decided at `timestampMs`, forgetting the oldest beyond the bound. */
  add(orderId: string, timestampMs: number): void {
    // An id decided again moves to the newest end, as its changelog record.
    this.#window.add(orderId, minuteOf(timestampMs));
  }

  /** How many ids are remembered. */
  get size(): number {
    return this.#window.size;
  }

  /** Forgets ids decided in minutes before the one of `cutoffMs`, as the changelog does. */
  forgetBefore(cutoffMs: number): number {
    return this.#window.forgetTaggedBefore(minuteOf(cutoffMs));
  }
}

/** The last minute IdWindow can tag (2^32 - 1 minutes after 1970, in the year 10136). */
const LAST_MINUTE = 0xffff_ffff;

// Clamped into IdWindow's tag range: a changelog record dated before 1970 (the schema takes any
// year from 0000) would otherwise make the restore throw on every attempt. Such an id is kept as
// decided in 1970, older than any retention cutoff, as a negative minute was before.
function minuteOf(timestampMs: number): number {
  return Math.min(Math.max(Math.floor(timestampMs / 60_000), 0), LAST_MINUTE);
}
