/**
 * Kafka's own command-line tools, run by `deno task kafka` from the downloaded jars against the
 * stack under test: the lab's monitoring commands work without Kafka's scripts or Docker.
 */
import assert from "node:assert/strict";
import { spawnChild } from "../tasks/lib/child.ts";
import { DEFAULT_EVENT_PARTITIONS } from "@campus/shared/topics";
import { canStartProcesses, stack } from "./_support.ts";

async function kafkaTool(args: string[]): Promise<{ code: number; output: string }> {
  const lines: string[] = [];
  const child = spawnChild(Deno.execPath(), {
    args: ["task", "--quiet", "kafka", ...args],
    env: { KAFKA_BOOTSTRAP_SERVERS: stack.brokers.join(","), NO_COLOR: "1" },
    onLine: (line) => lines.push(line),
    graceMs: 10_000,
  });
  const { code } = await child.status;
  return { code, output: lines.join("\n") };
}

Deno.test({
  name: "kafka consumer-groups --describe shows each partition of the inventory group with its lag",
  ignore: !canStartProcesses,
}, async () => {
  const { code, output } = await kafkaTool([
    "consumer-groups",
    "--describe",
    "--group",
    "inventory-service",
  ]);
  assert.equal(code, 0, output);
  assert.match(output, /GROUP\s+TOPIC\s+PARTITION\s+CURRENT-OFFSET\s+LOG-END-OFFSET\s+LAG/, output);
  // A partition nothing was committed on yet shows "-" for its offset and lag.
  for (let partition = 0; partition < DEFAULT_EVENT_PARTITIONS; partition++) {
    assert.match(
      output,
      new RegExp(
        `inventory-service\\s+order-events\\s+${partition}\\s+(\\d+|-)\\s+\\d+\\s+(\\d+|-)`,
      ),
      output,
    );
  }
});

Deno.test({
  name: "kafka topics --describe shows the topics as shared/topics.ts made them",
  ignore: !canStartProcesses,
}, async () => {
  const { code, output } = await kafkaTool(["topics", "--describe", "--topic", "order-events"]);
  assert.equal(code, 0, output);
  assert.match(
    output,
    new RegExp(
      `Topic: order-events\\s+TopicId: \\S+\\s+PartitionCount: ${DEFAULT_EVENT_PARTITIONS}\\s+ReplicationFactor: 1`,
    ),
  );
});

Deno.test({
  name: "kafka --help lists the tools; an unknown tool is refused by name",
  ignore: !canStartProcesses,
}, async () => {
  const help = await kafkaTool(["--help"]);
  assert.equal(help.code, 0);
  for (const tool of ["topics", "consumer-groups", "console-consumer", "producer-perf-test"]) {
    assert.match(help.output, new RegExp(`^  ${tool} `, "m"));
  }
  const unknown = await kafkaTool(["explode"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.output, /Unknown tool "explode"/);
});
