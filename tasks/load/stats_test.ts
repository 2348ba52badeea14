import assert from "node:assert/strict";
import { formatTable, percentile, progressBar, summarize } from "./stats.ts";

Deno.test("percentile() uses nearest rank", () => {
  const sorted = Float64Array.from({ length: 100 }, (_, index) => index + 1);
  assert.equal(percentile(sorted, 0.5), 50);
  assert.equal(percentile(sorted, 0.99), 99);
  assert.equal(percentile(sorted, 1), 100);
  assert.equal(percentile([7], 0.99), 7);
  assert.ok(Number.isNaN(percentile([], 0.5)));
});

Deno.test("summarize() sorts numerically and counts throughput in units", () => {
  const summary = summarize(Float64Array.from([10, 2, 1, 100]), {
    ok: 3,
    seconds: 2,
    unitsPerRequest: 1000,
  });
  assert.equal(summary.p50, 2);
  assert.equal(summary.max, 100);
  assert.equal(summary.errors, 1);
  assert.equal(summary.perSecond, 1500);
  assert.equal(summary.mean, 28.25);
});

Deno.test("formatTable() aligns columns", () => {
  assert.equal(formatTable(["a", "bb"], [["xyz", "1"]]), "a    bb\n---  --\nxyz   1");
});

Deno.test("progressBar() fills in proportion", () => {
  assert.equal(progressBar(5, 10, 4), "[██··]  50% 5/10");
  assert.equal(progressBar(0, 0, 2), "[██] 100% 0/0");
});
