import assert from "node:assert/strict";
import { kafkaVersionOf, slf4jBindings } from "./install.ts";

Deno.test("kafkaVersionOf() reads the version a pom pins", () => {
  const pom = "<project><properties><kafka.version>4.4.0</kafka.version></properties></project>";
  assert.equal(kafkaVersionOf(pom), "4.4.0");
});

Deno.test("kafkaVersionOf() fails clearly on a pom without a Kafka version", () => {
  assert.throws(() => kafkaVersionOf("<project/>"), /Cannot find <kafka.version>/);
});

Deno.test("slf4jBindings() finds the logging bindings among jar names", () => {
  const jars = [
    "slf4j-api-1.7.36.jar",
    "log4j-slf4j-impl-2.25.5.jar",
    "kafka_2.13-4.4.0.jar",
    "slf4j-reload4j-1.7.36.jar",
  ];
  assert.deepEqual(slf4jBindings(jars), [
    "log4j-slf4j-impl-2.25.5.jar",
    "slf4j-reload4j-1.7.36.jar",
  ]);
});
