import assert from "node:assert/strict";
import { KAFKA_TOOLS, toolArguments } from "./tools.ts";

Deno.test("the cluster's address is added unless given, asked for help, or offline", () => {
  const groups = KAFKA_TOOLS["consumer-groups"];
  assert.deepEqual(toolArguments(groups, ["--describe", "--group", "g"], "127.0.0.1:19092"), [
    "--describe",
    "--group",
    "g",
    "--bootstrap-server",
    "127.0.0.1:19092",
  ]);
  assert.deepEqual(toolArguments(groups, ["--list", "--bootstrap-server", "h:1"], "x:2"), [
    "--list",
    "--bootstrap-server",
    "h:1",
  ]);
  assert.deepEqual(toolArguments(groups, ["--help"], "x:2"), ["--help"]);
  // A controller address, or a config file that may name a cluster, wins.
  const quorum = KAFKA_TOOLS["metadata-quorum"];
  assert.deepEqual(toolArguments(quorum, ["--bootstrap-controller", "c:9093", "describe"], "x:2"), [
    "--bootstrap-controller",
    "c:9093",
    "describe",
  ]);
  assert.deepEqual(
    toolArguments(groups, ["--list", "--command-config", "remote.properties"], "x:2"),
    [
      "--list",
      "--command-config",
      "remote.properties",
    ],
  );
  // Producer properties get the address unless they carry one.
  const perf = KAFKA_TOOLS["producer-perf-test"];
  assert.deepEqual(toolArguments(perf, ["--producer-props", "acks=all"], "x:2"), [
    "--producer-props",
    "acks=all",
    "--bootstrap-server",
    "x:2",
  ]);
  assert.deepEqual(
    toolArguments(perf, ["--producer-props", "acks=all", "bootstrap.servers=h:1"], "x:2"),
    ["--producer-props", "acks=all", "bootstrap.servers=h:1"],
  );
  assert.deepEqual(toolArguments(KAFKA_TOOLS["dump-log"], ["--files", "a.log"], "x:2"), [
    "--files",
    "a.log",
  ]);
});

Deno.test("every tool names a class of Kafka's tools and the script it stands for", () => {
  for (const [name, tool] of Object.entries(KAFKA_TOOLS)) {
    assert.match(tool.mainClass, /^org\.apache\.kafka\.tools\.[\w.]+$/, name);
    assert.equal(tool.script, `kafka-${name}.sh`, name);
  }
});
