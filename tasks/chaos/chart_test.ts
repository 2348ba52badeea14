import assert from "node:assert/strict";
import { niceMax, perSecond, renderChart } from "./chart.ts";
import type { Operation } from "./history.ts";

function operation(doneAt: number, outcome: Operation["outcome"]): Operation {
  return {
    op: 0,
    order: 0,
    attempt: 1,
    key: "k",
    body: {},
    valid: true,
    intendedAt: doneAt,
    sentAt: doneAt,
    doneAt,
    outcome,
  };
}

Deno.test("requests are counted per second by outcome", () => {
  const rates = perSecond(
    [
      operation(100, "accepted"),
      operation(900, "accepted"),
      operation(1_100, "unavailable"),
      operation(2_500, "refused"),
      operation(9_999, "accepted"),
    ],
    0,
    3,
  );
  assert.deepEqual(rates, { accepted: [2, 0, 0], unavailable: [0, 1, 0], noAnswer: [0, 0, 1] });
});

Deno.test("axes end at 1, 2 or 5 times a power of ten", () => {
  assert.deepEqual([0, 1, 3, 7, 120, 2_001].map(niceMax), [1, 1, 5, 10, 200, 5_000]);
});

Deno.test("the chart marks every fault and escapes its text", () => {
  const svg = renderChart({
    title: "seed <1> & more",
    startAt: 0,
    endAt: 10_000,
    operations: [operation(500, "accepted")],
    samples: [{ at: 1_000, inventoryLag: 5, analyticsTotal: 1, analyticsLag: 2 }],
    runs: [
      {
        episode: { index: 0, at: 1, kind: "kill", target: "broker", holdSeconds: 2 },
        injectedAt: 1_000,
        healedAt: 3_000,
      },
      {
        episode: { index: 1, at: 5, kind: "join", target: "inventory", holdSeconds: 2 },
        injectedAt: 5_000,
        healedAt: 7_000,
      },
    ],
  });
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /<\/svg>\n$/);
  assert.match(svg, /seed &#60;1&#62; &#38; more/);
  assert.match(svg, />kill -9 broker</);
  assert.match(svg, />second inventory joins</);
  assert.equal(svg.match(/<polyline/g)?.length, 5);
});
