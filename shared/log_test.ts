import assert from "node:assert/strict";
import { createLogger } from "./log.ts";

function capture(level: "debug" | "info" | "warn" | "error" = "info") {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    service: "test",
    level,
    write: (line) => lines.push(JSON.parse(line)),
    now: () => new Date("2026-01-02T03:04:05.000Z"),
  });
  return { lines, logger };
}

Deno.test("createLogger() writes one JSON object per line with service, level and fields", () => {
  const { lines, logger } = capture();
  logger.info("order accepted", { order_id: "o-1", partition: 2 });
  assert.deepEqual(lines, [{
    time: "2026-01-02T03:04:05.000Z",
    level: "info",
    service: "test",
    msg: "order accepted",
    order_id: "o-1",
    partition: 2,
  }]);
});

Deno.test("createLogger() drops lines below its level", () => {
  const { lines, logger } = capture("warn");
  logger.debug("a");
  logger.info("b");
  logger.warn("c");
  logger.error("d");
  assert.deepEqual(lines.map((line) => line.msg), ["c", "d"]);
});

Deno.test("child() adds its fields to every line", () => {
  const { lines, logger } = capture();
  logger.child({ topic: "order-events" }).info("consumed", { offset: "7" });
  assert.equal(lines[0]?.topic, "order-events");
  assert.equal(lines[0]?.offset, "7");
});

Deno.test("createLogger() writes errors with their name and message", () => {
  const { lines, logger } = capture();
  logger.error("failed", { error: new TypeError("bad thing") });
  assert.deepEqual(lines[0]?.error, { name: "TypeError", message: "bad thing" });
});
