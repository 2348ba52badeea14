import assert from "node:assert/strict";
import { latencyChart } from "./chart.ts";

Deno.test("the chart is one SVG with a line, points and a legend entry per series", () => {
  const svg = latencyChart("title <&>", [
    { name: "202 p50", color: "#111", points: [{ rate: 1000, ms: 2 }, { rate: 5000, ms: 8 }] },
    { name: "counted p99", color: "#222", dashed: true, points: [{ rate: 1000, ms: 90 }] },
  ]);
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svg, /<\/svg>$/);
  assert.equal(svg.match(/<polyline /g)?.length, 2);
  assert.equal(svg.match(/<circle /g)?.length, 3);
  assert.match(svg, /title &lt;&amp;&gt;/);
  assert.match(svg, />202 p50</);
  assert.match(svg, />counted p99</);
  assert.match(svg, /stroke-dasharray="6 4"/);
});
