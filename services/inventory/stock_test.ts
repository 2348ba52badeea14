import assert from "node:assert/strict";
import { parseMenu, reserve } from "./stock.ts";

Deno.test("reserve() takes the quantity from stock and reports what remains", () => {
  const stock = new Map([["pizza", 5]]);
  const { result, stock: after } = reserve(stock, { item: "pizza", quantity: 2 });
  assert.deepEqual(result, { outcome: "reserved", remaining: 3 });
  assert.equal(after.get("pizza"), 3);
  assert.equal(stock.get("pizza"), 5, "the input stock is not changed");
});

Deno.test("reserve() can take the last unit, then fails with out_of_stock", () => {
  let stock: ReadonlyMap<string, number> = new Map([["chef-special", 1]]);
  const outcomes = [];
  for (let i = 0; i < 3; i++) {
    const step = reserve(stock, { item: "chef-special", quantity: 1 });
    outcomes.push(step.result);
    stock = step.stock;
  }
  assert.deepEqual(outcomes, [
    { outcome: "reserved", remaining: 0 },
    { outcome: "failed", reason: "out_of_stock" },
    { outcome: "failed", reason: "out_of_stock" },
  ]);
});

Deno.test("reserve() fails with out_of_stock when quantity exceeds stock, reserving nothing", () => {
  const stock = new Map([["soup", 2]]);
  const { result, stock: after } = reserve(stock, { item: "soup", quantity: 3 });
  assert.deepEqual(result, { outcome: "failed", reason: "out_of_stock" });
  assert.equal(after.get("soup"), 2);
});

Deno.test("reserve() fails with unknown_item for an item not on the menu", () => {
  const { result } = reserve(new Map([["pizza", 5]]), { item: "lobster", quantity: 1 });
  assert.deepEqual(result, { outcome: "failed", reason: "unknown_item" });
});

Deno.test("parseMenu() reads item units and names what is wrong", () => {
  assert.deepEqual(
    parseMenu('{"pizza": 3, "soup": 0}', "m.json"),
    new Map([["pizza", 3], ["soup", 0]]),
  );
  assert.throws(() => parseMenu("[1]", "m.json"), /Cannot read menu m.json: expected an object/);
  assert.throws(
    () => parseMenu('{"pizza": -1}', "m.json"),
    /units of "pizza" must be a whole number/,
  );
  assert.throws(() => parseMenu('{"pizza": 1.5}', "m.json"), /units of "pizza"/);
  assert.throws(() => parseMenu("{", "m.json"), /not valid JSON/);
});

Deno.test("the shipped campus menu parses", async () => {
  const { default: menu } = await import("./menu.json", { with: { type: "json" } });
  assert.ok(parseMenu(JSON.stringify(menu), "menu.json").size >= 5);
});
