import assert from "node:assert/strict";
import { OpenTransactionError, openTransactions } from "./restore.ts";

Deno.test("a changelog written beyond its stable offset has an open transaction", () => {
  const targets = new Map([["changelog:0", 10n], ["changelog:1", 20n], ["decided:1", 5n]]);
  const highWatermarks = new Map([["changelog:0", 10n], ["changelog:1", 23n], ["decided:1", 5n]]);
  assert.deepEqual(openTransactions(targets, highWatermarks), [
    "changelog:1 (stable up to 20, written up to 23)",
  ]);
  // A partition whose last fetch reported no high watermark tells nothing either way.
  assert.deepEqual(openTransactions(targets, new Map()), []);
  const error = new OpenTransactionError(openTransactions(targets, highWatermarks));
  assert.match(error.message, /still open on changelog:1 \(stable up to 20, written up to 23\)/);
});
