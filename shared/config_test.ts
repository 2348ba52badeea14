import assert from "node:assert/strict";
import { z } from "zod";
import { commonEnv, ConfigError, parseConfig, port } from "./config.ts";

Deno.test("parseConfig() applies defaults when variables are unset or empty", () => {
  const config = parseConfig({ ...commonEnv, PRODUCER_PORT: port(5001) }, { HOST: "" });
  assert.deepEqual(config, {
    EVENT_PARTITIONS: 6,
    KAFKA_BOOTSTRAP_SERVERS: ["127.0.0.1:9092"],
    HOST: "127.0.0.1",
    LOG_LEVEL: "info",
    PRODUCER_PORT: 5001,
  });
});

Deno.test("EVENT_PARTITIONS takes a whole number of partitions and names what is wrong", () => {
  assert.equal(parseConfig(commonEnv, { EVENT_PARTITIONS: "12" }).EVENT_PARTITIONS, 12);
  for (const value of ["0", "2.5", "six", "1001"]) {
    assert.throws(
      () => parseConfig(commonEnv, { EVENT_PARTITIONS: value }),
      new RegExp(`EVENT_PARTITIONS is "${value}": must be a whole number from 1 to 1000`),
    );
  }
});

Deno.test("parseConfig() splits and trims a broker list", () => {
  const config = parseConfig(commonEnv, { KAFKA_BOOTSTRAP_SERVERS: "a:9092, b:9094 ,c:9096" });
  assert.deepEqual(config.KAFKA_BOOTSTRAP_SERVERS, ["a:9092", "b:9094", "c:9096"]);
});

Deno.test("parseConfig() names the variable, its value and what it should be", () => {
  assert.throws(
    () => parseConfig({ PRODUCER_PORT: port(5001) }, { PRODUCER_PORT: "http" }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(
        error.message,
        'Invalid environment: PRODUCER_PORT is "http": must be a port number (1-65535)',
      );
      return true;
    },
  );
});

Deno.test("parseConfig() reports every bad variable at once", () => {
  assert.throws(
    () => parseConfig(commonEnv, { KAFKA_BOOTSTRAP_SERVERS: "nohostport", LOG_LEVEL: "loud" }),
    /KAFKA_BOOTSTRAP_SERVERS is "nohostport": must be a comma-separated list of host:port.*; LOG_LEVEL is "loud": must be one of/,
  );
});

Deno.test("parseConfig() reads only the keys of its schema", () => {
  const config = parseConfig({ ONLY: z.string() }, { ONLY: "yes", OTHER: "ignored" });
  assert.deepEqual(config, { ONLY: "yes" });
});
