import assert from "node:assert/strict";
import { forEachLine, RecentLines } from "./lines.ts";

function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return ReadableStream.from(chunks.map((chunk) => encoder.encode(chunk)));
}

Deno.test("forEachLine() joins lines split across chunks and keeps a last line without newline", async () => {
  const lines: string[] = [];
  await forEachLine(streamOf("al", "pha\r\nbe", "ta\n\ngam", "ma"), (line) => lines.push(line));
  assert.deepEqual(lines, ["alpha", "beta", "", "gamma"]);
});

Deno.test("RecentLines keeps only the newest lines", () => {
  const recent = new RecentLines(2);
  for (const line of ["a", "b", "c"]) recent.push(line);
  assert.equal(recent.toString(), "b\nc");
});
