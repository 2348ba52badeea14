import assert from "node:assert/strict";
import { computeLag } from "./lag.ts";

Deno.test("computeLag() is the distance from the committed offset to the end", () => {
  const lag = computeLag(
    [{ partition: 0, high: "10", low: "0" }, { partition: 1, high: "5", low: "0" }],
    [{ partition: 0, offset: "7" }, { partition: 1, offset: "5" }],
  );
  assert.deepEqual([...lag], [[0, 3], [1, 0]]);
});

Deno.test("computeLag() counts from the earliest offset when the group never committed", () => {
  const lag = computeLag([{ partition: 0, high: "10", low: "4" }], [{
    partition: 0,
    offset: "-1",
  }]);
  assert.deepEqual([...lag], [[0, 6]]);
});
