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

Deno.test("IdWindow behaves as a bounded oldest-first map through random adds, repeats and forgets", () => {
  for (const [seed, bound] of [[1, 1], [2, 3], [3, 17], [4, 100], [5, 1500]] as const) {
    const next = random(seed);
    const window = new IdWindow(bound);
    const model = new MapWindow(bound);
    // A small pool so ids repeat often; a few are not UUIDs, some differ from others only in case.
    const pool = Array.from({ length: bound * 3 + 5 }, (_, index) => {
      if (index % 11 === 0) return `order-${index}`;
      const uuid = crypto.randomUUID();
      return index % 7 === 0 ? uuid.toUpperCase() : uuid;
    });
    let tag = 0;
    for (let step = 0; step < 20_000; step++) {
      const roll = next();
      const id = pool[Math.floor(next() * pool.length)]!;
      if (roll < 0.02) {
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
    }
    for (const id of pool) assert.equal(window.has(id), model.has(id), `seed ${seed}: final ${id}`);
  }
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

// Heap figures mean something only after a full collection: `deno task test` exposes gc() to the
// unit tests (--v8-flags=--expose-gc); without it this test is reported as ignored.
const gc = (globalThis as { gc?: () => void }).gc;

Deno.test({
  name: "IdWindow keeps 100,000 UUIDs in under 5 MB (a JS Set of them takes about 9)",
  ignore: gc === undefined,
}, () => {
  // Parsed from JSON, as a consumer's ids are: each a string of its own.
  const ids: string[] = JSON.parse(
    JSON.stringify(Array.from({ length: 100_000 }, () => crypto.randomUUID())),
  );
  gc!();
  const before = Deno.memoryUsage();
  const window = new IdWindow(100_000);
  for (const id of ids) window.add(id, 0);
  gc!();
  const after = Deno.memoryUsage();
  const grownMb = (after.heapUsed + after.external - before.heapUsed - before.external) / 2 ** 20;
  assert.equal(window.size, 100_000);
  assert.ok(ids.every((id) => window.has(id)));
  assert.ok(grownMb < 5, `grew ${grownMb.toFixed(1)} MB`);
});
