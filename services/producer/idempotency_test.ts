import assert from "node:assert/strict";
import { IdempotencyCache, IdempotencyConflict } from "./idempotency.ts";

Deno.test("IdempotencyCache runs the work once per key and shares its result", async () => {
  const cache = new IdempotencyCache<number>({ maxEntries: 10 });
  let runs = 0;
  const work = () => Promise.resolve(++runs);
  assert.deepEqual(await Promise.all([cache.run("k", "f", work), cache.run("k", "f", work)]), [
    1,
    1,
  ]);
  assert.equal(runs, 1);
});

Deno.test("IdempotencyCache rejects a known key with another fingerprint", async () => {
  const cache = new IdempotencyCache<number>({ maxEntries: 10 });
  await cache.run("k", "f", () => Promise.resolve(1));
  await assert.rejects(cache.run("k", "g", () => Promise.resolve(2)), IdempotencyConflict);
});

Deno.test("IdempotencyCache forgets failures, so a retry really runs again", async () => {
  const cache = new IdempotencyCache<number>({ maxEntries: 10 });
  await assert.rejects(cache.run("k", "f", () => Promise.reject(new Error("down"))));
  assert.equal(await cache.run("k", "f", () => Promise.resolve(2)), 2);
});

Deno.test("IdempotencyCache forgets the oldest key beyond its entry bound", async () => {
  const cache = new IdempotencyCache<string>({ maxEntries: 2 });
  for (const key of ["a", "b", "c"]) await cache.run(key, "f", () => Promise.resolve(key));
  assert.equal(await cache.run("a", "f", () => Promise.resolve("again")), "again");
  assert.equal(await cache.run("c", "f", () => Promise.resolve("again")), "c");
});

Deno.test("IdempotencyCache remembers a huge request by its digest and stays within its bytes", async () => {
  const cache = new IdempotencyCache<{ order_ids: string[] }>({ maxBytes: 200_000 });
  const body = "x".repeat(800_000); // a batch body near the 1 MiB limit
  const answer = { order_ids: Array.from({ length: 1_000 }, () => crypto.randomUUID()) };
  for (let index = 0; index < 20; index++) {
    await cache.run(`key-${index}`, body, () => Promise.resolve(answer));
    assert.ok(cache.bytes <= 200_000, `${cache.bytes} bytes remembered`);
  }
  // Each entry is the answer (~40 KB) plus key and digest, never the 800 KB body.
  assert.ok(cache.size >= 4 && cache.size <= 5, `${cache.size} entries`);
  let ran = false;
  const again = await cache.run("key-19", body, () => Promise.resolve((ran = true, answer)));
  assert.equal(again, answer);
  assert.equal(ran, false, "the newest key is still remembered");
});
