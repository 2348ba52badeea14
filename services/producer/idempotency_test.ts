import assert from "node:assert/strict";
import { IdempotencyCache, IdempotencyConflict } from "./idempotency.ts";

Deno.test("IdempotencyCache runs the work once per key and shares its result", async () => {
  const cache = new IdempotencyCache<number>(10);
  let runs = 0;
  const work = () => Promise.resolve(++runs);
  assert.deepEqual(await Promise.all([cache.run("k", "f", work), cache.run("k", "f", work)]), [
    1,
    1,
  ]);
  assert.equal(runs, 1);
});

Deno.test("IdempotencyCache rejects a known key with another fingerprint", async () => {
  const cache = new IdempotencyCache<number>(10);
  await cache.run("k", "f", () => Promise.resolve(1));
  await assert.rejects(cache.run("k", "g", () => Promise.resolve(2)), IdempotencyConflict);
});

Deno.test("IdempotencyCache forgets failures, so a retry really runs again", async () => {
  const cache = new IdempotencyCache<number>(10);
  await assert.rejects(cache.run("k", "f", () => Promise.reject(new Error("down"))));
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(await cache.run("k", "f", () => Promise.resolve(2)), 2);
});

Deno.test("IdempotencyCache forgets the oldest key beyond its capacity", async () => {
  const cache = new IdempotencyCache<string>(2);
  for (const key of ["a", "b", "c"]) await cache.run(key, "f", () => Promise.resolve(key));
  assert.equal(await cache.run("a", "f", () => Promise.resolve("again")), "again");
  assert.equal(await cache.run("c", "f", () => Promise.resolve("again")), "c");
});
