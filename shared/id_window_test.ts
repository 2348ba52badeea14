import assert from "node:assert/strict";
import { IdWindow } from "./id_window.ts";

/** The behaviour IdWindow must have, written the obvious way. */
class MapWindow {
  #tags = new Map<string, number>();
  constructor(readonly maxEntries: number) {}
  get size() {
    return this.#tags.size;
  }
  has(id: string) {
    return this.#tags.has(normalise(id));
  }
  add(id: string, tag: number) {
    const key = normalise(id);
    this.#tags.delete(key);
    this.#tags.set(key, tag);
    if (this.#tags.size > this.maxEntries) this.#tags.delete(this.#tags.keys().next().value!);
  }
  forgetTaggedBefore(tag: number) {
    let forgotten = 0;
    for (const [key, keyTag] of this.#tags) {
      if (keyTag >= tag) break;
      this.#tags.delete(key);
      forgotten++;
    }
    return forgotten;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const normalise = (id: string) => UUID.test(id) ? id.toLowerCase() : id;

/** A small deterministic generator, so a failure replays. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
}

/** Random adds, repeats, lookups and forgets against the model; returns the largest size seen. */
function compareWithModel(
  options: { seed: number; bound: number; poolSize: number; forgetChance: number; steps: number },
): number {
  const { seed, bound, poolSize, forgetChance, steps } = options;
  const next = random(seed);
  const window = new IdWindow(bound);
  const model = new MapWindow(bound);
  // Ids repeat as often as the pool is small; a few are not UUIDs, some differ only in case.
  const pool = Array.from({ length: poolSize }, (_, index) => {
    if (index % 11 === 0) return `order-${index}`;
    const uuid = crypto.randomUUID();
    return index % 7 === 0 ? uuid.toUpperCase() : uuid;
  });
  let tag = 0;
  let largest = 0;
  for (let step = 0; step < steps; step++) {
    const roll = next();
    const id = pool[Math.floor(next() * pool.length)]!;
    if (roll < forgetChance) {
      const cutoff = tag - Math.floor(next() * 50);
      assert.equal(
        window.forgetTaggedBefore(cutoff),
        model.forgetTaggedBefore(cutoff),
        `step ${step}`,
      );
    } else if (roll < 0.6) {
      tag += Math.floor(next() * 3);
      window.add(id, tag);
      model.add(id, tag);
    } else {
      assert.equal(window.has(id), model.has(id), `seed ${seed} step ${step}: has(${id})`);
    }
    assert.equal(window.size, model.size, `seed ${seed} step ${step}: size`);
    largest = Math.max(largest, window.size);
  }
  for (const id of pool) assert.equal(window.has(id), model.has(id), `seed ${seed}: final ${id}`);
  return largest;
}

Deno.test("IdWindow behaves as a bounded oldest-first map through random adds, repeats and forgets", () => {
  for (const [seed, bound] of [[1, 1], [2, 3], [3, 17], [4, 100], [5, 1500]] as const) {
    compareWithModel({ seed, bound, poolSize: bound * 3 + 5, forgetChance: 0.02, steps: 20_000 });
  }
});

Deno.test("IdWindow stays exact while it grows, wraps and compacts at its bound", () => {
  // Rare forgets and a pool a little larger than the bound: the window fills, grows its ring from
  // 1,024 slots, evicts at the bound and compacts the slots re-added ids left behind.
  for (const [seed, bound] of [[6, 820], [7, 1500], [8, 3000]] as const) {
    const largest = compareWithModel({
      seed,
      bound,
      poolSize: Math.round(bound * 1.3),
      forgetChance: 0.0005,
      steps: 40_000,
    });
    assert.equal(largest, bound, `seed ${seed}: the window never reached its bound`);
  }
  // Many re-adds of a few ids under a large bound: compaction long before the ring's limit.
  compareWithModel({ seed: 9, bound: 50_000, poolSize: 40, forgetChance: 0, steps: 20_000 });
});

Deno.test("IdWindow treats a UUID in capitals as the same id, and other strings exactly", () => {
  const window = new IdWindow(10);
  window.add("9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d");
  assert.equal(window.has("9A1B2C3D-4E5F-4A6B-8C7D-0E1F2A3B4C5D"), true);
  window.add("Order-1");
  assert.equal(window.has("order-1"), false);
  assert.equal(window.has("9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5e"), false);
  // 36 characters with the dashes in place but not hex: an ordinary string, not a UUID.
  const notHex = "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5g";
  assert.equal(window.has(notHex), false);
  window.add(notHex);
  assert.equal(window.has(notHex), true);
  assert.equal(window.size, 3);
});

Deno.test("IdWindow forgets the oldest beyond its bound, a re-added id counting as newest", () => {
  const window = new IdWindow(2);
  const [a, b, c] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
  window.add(a, 1);
  window.add(b, 2);
  window.add(a, 3);
  window.add(c, 4);
  assert.deepEqual([a, b, c].map((id) => window.has(id)), [true, false, true]);
  assert.equal(window.forgetTaggedBefore(4), 1);
  assert.deepEqual([a, b, c].map((id) => window.has(id)), [false, false, true]);
});

Deno.test("IdWindow refuses a bound that is not a positive integer", () => {
  for (const bound of [0, -1, 1.5, NaN]) {
    assert.throws(() => new IdWindow(bound), RangeError);
  }
});

// Measured from the arrays themselves: Deno.memoryUsage() around building the window moved with
// unrelated garbage (heap used fell by 3-17 MB while the window grew), so a test on it could not
// fail.
Deno.test("IdWindow holds 100,000 UUIDs in at most 37 bytes each (as JS strings in a Set, about 90)", () => {
  const window = new IdWindow(100_000);
  const ids = Array.from({ length: 100_000 }, () => crypto.randomUUID());
  for (const id of ids) window.add(id, 29_000_000);
  assert.equal(window.size, 100_000);
  assert.ok(ids.every((id) => window.has(id)));
  const bytesPerId = window.byteLength / window.size;
  assert.ok(window.byteLength >= 16 * 100_000, `${window.byteLength} bytes cannot hold the UUIDs`);
  assert.ok(bytesPerId <= 37, `${window.byteLength} bytes, ${bytesPerId} an id`);
  // At the bound it stops growing: more ids replace the oldest.
  const atBound = window.byteLength;
  for (let index = 0; index < 50_000; index++) window.add(crypto.randomUUID(), 29_000_001);
  assert.equal(window.byteLength, atBound);
});

Deno.test("IdWindow refuses a tag it cannot keep exactly in 32 bits, and keeps the largest", () => {
  const window = new IdWindow(10);
  const id = crypto.randomUUID();
  for (const tag of [-1, 0.5, 2 ** 32, Number.NaN, Infinity]) {
    assert.throws(() => window.add(id, tag), RangeError, String(tag));
  }
  assert.equal(window.size, 0, "a refused add leaves nothing behind");
  window.add(id, 2 ** 32 - 1);
  assert.equal(window.forgetTaggedBefore(2 ** 32 - 1), 0, "the tag was kept exactly");
  assert.equal(window.forgetTaggedBefore(2 ** 32), 1);
  assert.equal(window.has(id), false);
});
