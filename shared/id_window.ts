/**
 * The newest ids a consumer has seen, oldest first, up to a bound: what inventory and analytics
 * remember to drop a repeated order.
 *
 * Order ids are UUIDs (the event schemas require it), kept as 16 bytes in typed arrays rather than
 * as a string each in a JS `Set`: about 37 bytes an id at the bound (the UUID's 16, a 4-byte tag,
 * a kind byte, a quarter more slots than ids, and the index) instead of about 90, and nothing the
 * garbage collector has to trace, which matters at 100,000 ids per partition. UUIDs compare
 * without regard to case, as RFC 9562 says. Any other string (only tests and hand-made records
 * carry one) is kept in a plain `Map`, in the same oldest-first order.
 * @module
 */

const EMPTY = 0;
const UUID = 1;
const OTHER = 2;
const SMALLEST_CAPACITY = 1024;
const MAX_TAG = 0xffff_ffff;

/**
 * Ids with a tag each (an integer from 0 to 2^32 - 1, e.g. the minute they were decided), oldest
 * first, bounded.
 */
export class IdWindow {
  /** Live ids beyond this are forgotten, oldest first. */
  readonly maxEntries: number;
  // A ring of slots in insertion order. A slot whose id was added again (and so moved to the
  // newest end) stays behind as EMPTY until the ring is compacted.
  #kinds: Uint8Array;
  #words: Uint32Array; // four per slot: the UUID's 128 bits
  #tags: Uint32Array; // 4 bytes, not 8: a minute since 1970 fits until the year 10136
  #oldest = 0; // slot index of the oldest occupied slot
  #occupied = 0; // slots in use, EMPTY ones among them
  #live = 0;
  #ringLimit: number;
  // Open addressing with linear probing over the UUID slots: slot + 1, or 0 where free.
  #table: Int32Array;
  #others = new Map<string, number>(); // non-UUID id → slot
  #otherAt = new Map<number, string>(); // slot → non-UUID id

  constructor(maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
    }
    this.maxEntries = maxEntries;
    // Room for a quarter more slots than ids, so re-added ids can leave EMPTY slots behind and a
    // compaction (linear in the ring) comes at most once per quarter of the bound.
    this.#ringLimit = maxEntries + Math.max(16, Math.ceil(maxEntries / 4));
    const capacity = Math.min(SMALLEST_CAPACITY, this.#ringLimit);
    this.#kinds = new Uint8Array(capacity);
    this.#words = new Uint32Array(capacity * 4);
    this.#tags = new Uint32Array(capacity);
    this.#table = new Int32Array(tableSizeFor(capacity));
  }

  /** How many ids are remembered. */
  get size(): number {
    return this.#live;
  }

  /** Bytes of the typed arrays that hold the UUIDs (other ids, in a Map, are not counted). */
  get byteLength(): number {
    return this.#kinds.byteLength + this.#words.byteLength + this.#tags.byteLength +
      this.#table.byteLength;
  }

  /** Whether `id` is remembered. */
  has(id: string): boolean {
    if (!parseUuid(id)) return this.#others.has(id);
    return this.#findUuid() >= 0;
  }

  /**
   * Remembers `id` as the newest, with `tag`; an id already remembered moves to the newest end.
   * Beyond the bound the oldest ids are forgotten. Throws a RangeError for a tag that is not an
   * integer from 0 to 2^32 - 1.
   */
  add(id: string, tag = 0): void {
    if (!Number.isInteger(tag) || tag < 0 || tag > MAX_TAG) {
      throw new RangeError(`tag must be an integer from 0 to ${MAX_TAG}, got ${tag}`);
    }
    const isUuid = parseUuid(id);
    const existing = isUuid ? this.#findUuid() : (this.#others.get(id) ?? -1);
    if (existing >= 0) this.#forgetSlot(existing);
    if (this.#occupied === this.#kinds.length) this.#makeRoom();
    const slot = (this.#oldest + this.#occupied) % this.#kinds.length;
    this.#occupied++;
    this.#live++;
    this.#tags[slot] = tag;
    if (isUuid) {
      this.#kinds[slot] = UUID;
      this.#words.set(scratch, slot * 4);
      this.#insertIntoTable(slot);
    } else {
      this.#kinds[slot] = OTHER;
      this.#others.set(id, slot);
      this.#otherAt.set(slot, id);
    }
    while (this.#live > this.maxEntries) this.#forgetOldest();
  }

  /** Forgets the oldest ids while their tag is below `tag`; returns how many were forgotten. */
  forgetTaggedBefore(tag: number): number {
    let forgotten = 0;
    while (this.#live > 0) {
      this.#dropLeadingEmpty();
      if (this.#tags[this.#oldest]! >= tag) break;
      this.#forgetOldest();
      forgotten++;
    }
    return forgotten;
  }

  #dropLeadingEmpty(): void {
    while (this.#occupied > 0 && this.#kinds[this.#oldest] === EMPTY) {
      this.#oldest = (this.#oldest + 1) % this.#kinds.length;
      this.#occupied--;
    }
  }

  #forgetOldest(): void {
    this.#dropLeadingEmpty();
    this.#forgetSlot(this.#oldest);
    this.#dropLeadingEmpty();
  }

  /** Marks a live slot EMPTY and removes it from the lookups. */
  #forgetSlot(slot: number): void {
    if (this.#kinds[slot] === UUID) this.#removeFromTable(slot);
    else {
      this.#others.delete(this.#otherAt.get(slot)!);
      this.#otherAt.delete(slot);
    }
    this.#kinds[slot] = EMPTY;
    this.#live--;
  }

  /** The ring is full: grows it (up to its limit) or squeezes out the EMPTY slots. */
  #makeRoom(): void {
    const capacity = this.#kinds.length;
    const next = this.#live >= capacity / 2 ? Math.min(capacity * 2, this.#ringLimit) : capacity;
    const kinds = new Uint8Array(next);
    const words = new Uint32Array(next * 4);
    const tags = new Uint32Array(next);
    const otherAt = new Map<number, string>();
    let count = 0;
    for (let index = 0; index < this.#occupied; index++) {
      const slot = (this.#oldest + index) % capacity;
      const kind = this.#kinds[slot]!;
      if (kind === EMPTY) continue;
      kinds[count] = kind;
      tags[count] = this.#tags[slot]!;
      if (kind === UUID) words.set(this.#words.subarray(slot * 4, slot * 4 + 4), count * 4);
      else {
        const id = this.#otherAt.get(slot)!;
        otherAt.set(count, id);
        this.#others.set(id, count);
      }
      count++;
    }
    this.#kinds = kinds;
    this.#words = words;
    this.#tags = tags;
    this.#otherAt = otherAt;
    this.#oldest = 0;
    this.#occupied = count;
    this.#table = new Int32Array(tableSizeFor(next));
    for (let slot = 0; slot < count; slot++) {
      if (kinds[slot] === UUID) this.#insertIntoTable(slot);
    }
  }

  /** The slot holding the UUID in `scratch`, or -1. */
  #findUuid(): number {
    const table = this.#table;
    const mask = table.length - 1;
    const words = this.#words;
    for (let at = hashOf(scratch, 0) & mask;; at = (at + 1) & mask) {
      const entry = table[at]!;
      if (entry === 0) return -1;
      const base = (entry - 1) * 4;
      if (
        words[base] === scratch[0] && words[base + 1] === scratch[1] &&
        words[base + 2] === scratch[2] && words[base + 3] === scratch[3]
      ) return entry - 1;
    }
  }

  #insertIntoTable(slot: number): void {
    const table = this.#table;
    const mask = table.length - 1;
    let at = hashOf(this.#words, slot * 4) & mask;
    while (table[at] !== 0) at = (at + 1) & mask;
    table[at] = slot + 1;
  }

  /** Removes a slot's entry, shifting later entries of its probe run back (no tombstones). */
  #removeFromTable(slot: number): void {
    const table = this.#table;
    const mask = table.length - 1;
    let hole = hashOf(this.#words, slot * 4) & mask;
    while (table[hole] !== slot + 1) hole = (hole + 1) & mask;
    for (let at = (hole + 1) & mask; table[at] !== 0; at = (at + 1) & mask) {
      const home = hashOf(this.#words, (table[at]! - 1) * 4) & mask;
      // The entry may fill the hole unless its home lies cyclically in (hole, at].
      const homeBetween = hole <= at ? hole < home && home <= at : hole < home || home <= at;
      if (!homeBetween) {
        table[hole] = table[at]!;
        hole = at;
      }
    }
    table[hole] = 0;
  }
}

/**
 * The form under which `id` is compared: a UUID in lower case, any other string as it is. For
 * sets of ids kept beside an IdWindow, so that both agree on what "the same id" is.
 */
export function idKey(id: string): string {
  return parseUuid(id) ? id.toLowerCase() : id;
}

/** A power of two at least twice `capacity`: the table stays at most half full. */
function tableSizeFor(capacity: number): number {
  let size = 16;
  while (size < capacity * 2) size *= 2;
  return size;
}

// The last UUID parsed, as four 32-bit words (one shared buffer: parsing allocates nothing).
const scratch = new Uint32Array(4);

/** Parses a canonical 8-4-4-4-12 UUID into `scratch`; false if `id` is not one. */
function parseUuid(id: string): boolean {
  if (
    id.length !== 36 || id.charCodeAt(8) !== 45 || id.charCodeAt(13) !== 45 ||
    id.charCodeAt(18) !== 45 || id.charCodeAt(23) !== 45
  ) return false;
  const w0 = hexWord(id, 0, 4);
  const w1 = hexWord(id, 9, 14);
  const w2 = hexWord(id, 19, 24);
  const w3 = hexWord(id, 28, 32);
  if (w0 < 0 || w1 < 0 || w2 < 0 || w3 < 0) return false;
  scratch[0] = w0;
  scratch[1] = w1;
  scratch[2] = w2;
  scratch[3] = w3;
  return true;
}

/** Eight hex digits: four at `first`, four at `second`; -1 if any is not a hex digit. */
function hexWord(id: string, first: number, second: number): number {
  let value = 0;
  for (let index = 0; index < 8; index++) {
    const digit = hexDigit(id.charCodeAt(index < 4 ? first + index : second + index - 4));
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  const lower = code | 0x20; // A-F and a-f alike
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

/** Mixes all 128 bits: v7 UUIDs share their leading time bits, nil and max UUIDs are uniform. */
function hashOf(words: Uint32Array, base: number): number {
  let hash = Math.imul(words[base]! ^ 0x9e3779b9, 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13) ^ words[base + 1]!, 0xc2b2ae35);
  hash = Math.imul(hash ^ (hash >>> 16) ^ words[base + 2]!, 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13) ^ words[base + 3]!, 0xc2b2ae35);
  return hash ^ (hash >>> 16);
}
