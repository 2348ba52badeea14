import assert from "node:assert/strict";
import { cachedInventory, type InventoryView } from "./dashboard.ts";

Deno.test("inventory is asked at most once per half second, however many pages poll", async () => {
  let clock = 0;
  let reads = 0;
  const view: InventoryView = { lag: { "0": 1 }, stock: { pizza: 3 } };
  const inventory = cachedInventory("http://inventory", 500, () => clock, () => {
    reads++;
    return Promise.resolve(view);
  });
  assert.deepEqual(await inventory(), view);
  await inventory();
  clock = 499;
  await inventory();
  assert.equal(reads, 1);
  clock = 500;
  await inventory();
  assert.equal(reads, 2);
});
