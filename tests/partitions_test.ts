/**
 * The partition count is a setting (EVENT_PARTITIONS); topics that exist with another count are
 * reported, never used or changed: by `deno task topics`, and by a service, which stays not ready.
 */
import assert from "node:assert/strict";
import { DEFAULT_EVENT_PARTITIONS, ORDER_EVENTS } from "@campus/shared/topics";
import { startTerminalJob } from "./_processes.ts";
import {
  canStartProcesses,
  connectedAdmin,
  eventually,
  kafkaClientAllowed,
  stack,
  testKafka,
} from "./_support.ts";

const WRONG = String(DEFAULT_EVENT_PARTITIONS - 2);
const MESSAGE = new RegExp(
  `Topic "${ORDER_EVENTS}" has ${DEFAULT_EVENT_PARTITIONS} partitions, but EVENT_PARTITIONS says ${WRONG}\\. ` +
    `Set EVENT_PARTITIONS=${DEFAULT_EVENT_PARTITIONS} to use the topics as they are`,
);

/** The messages of the JSON log lines at level error among `lines`. */
function errorMessages(lines: readonly string[]): string[] {
  return lines.flatMap((line) => {
    try {
      const entry = JSON.parse(line);
      return entry.level === "error" ? [String(entry.msg)] : [];
    } catch {
      return [];
    }
  });
}

async function partitionsOfOrderEvents(): Promise<number> {
  await using admin = await connectedAdmin(await testKafka("partitions-test"));
  const metadata = await admin.fetchTopicMetadata({ topics: [ORDER_EVENTS] });
  return metadata.topics[0]!.partitions.length;
}

Deno.test({
  name: "deno task topics refuses topics of another partition count, names them, changes nothing",
  ignore: !canStartProcesses || !kafkaClientAllowed,
}, async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "topics"],
    env: { KAFKA_BOOTSTRAP_SERVERS: stack.brokers.join(","), EVENT_PARTITIONS: WRONG },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 1, text);
  assert.ok(errorMessages(text.split("\n")).some((message) => MESSAGE.test(message)), text);
  assert.equal(await partitionsOfOrderEvents(), DEFAULT_EVENT_PARTITIONS);
});

Deno.test({
  name: "a producer told another partition count stays not ready and says why in its log",
  ignore: !canStartProcesses || !kafkaClientAllowed,
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  await using producer = startTerminalJob("producer", {
    KAFKA_BOOTSTRAP_SERVERS: stack.brokers.join(","),
    EVENT_PARTITIONS: WRONG,
    PRODUCER_PORT: "15991",
  });
  await eventually(
    "the producer to log why it cannot start",
    () => errorMessages(producer.lines).some((message) => MESSAGE.test(message)) || undefined,
    { timeoutMs: 30_000, lastSeen: () => producer.lines.slice(-5) },
  );
  const response = await fetch("http://127.0.0.1:15991/ready");
  assert.equal(response.status, 503);
  await response.body?.cancel();
  const order = await fetch("http://127.0.0.1:15991/order", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user_id: "u", item: "pizza", quantity: 1 }),
  });
  assert.equal(order.status, 503, "no order is taken");
  await order.body?.cancel();
  assert.equal(await partitionsOfOrderEvents(), DEFAULT_EVENT_PARTITIONS);
});
