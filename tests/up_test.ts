/**
 * `deno task up` and the embedded broker as processes: refusing a second run, and keeping events
 * across a broker restart. Both need to start processes, so plain `deno test --allow-net` skips them.
 */
import assert from "node:assert/strict";
import { installKafka } from "../tasks/kafka/install.ts";
import { startBroker } from "../tasks/kafka/broker.ts";
import { javaCommand } from "../tasks/lib/tools.ts";
import {
  connectedAdmin,
  eventually,
  granted,
  kafkaClientAllowed,
  stack,
  testKafka,
} from "./_support.ts";

const canRun = granted({ name: "run" }) && granted({ name: "env" });
const canRunBroker = canRun && kafkaClientAllowed && granted({ name: "write", path: "./.data" });

function portOf(url: string): string {
  return new URL(url).port;
}

Deno.test({
  name:
    "a second `deno task up` on the ports of a running stack refuses, names the port and exits 1",
  ignore: !canRun,
}, async () => {
  const [, kafkaPort = ""] = (stack.brokers[0] ?? "").split(":");
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "up"],
    env: {
      NO_COLOR: "1",
      PRODUCER_PORT: portOf(stack.producerUrl),
      INVENTORY_PORT: portOf(stack.inventoryUrl),
      ANALYTICS_PORT: portOf(stack.analyticsUrl),
      KAFKA_PORT: kafkaPort,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 1, text);
  assert.match(
    text,
    new RegExp(`port 127\\.0\\.0\\.1:${portOf(stack.producerUrl)} is already in use`),
  );
  assert.doesNotMatch(text, /Starting Apache Kafka/, "nothing was started");
});

Deno.test({
  name: "the embedded broker keeps its events when it is stopped and started again",
  ignore: !canRunBroker,
  // kafkajs leaves a reconnect timer behind after the broker it talked to went away.
  sanitizeOps: false,
}, async () => {
  const dataDir = `.data/test/restart-${crypto.randomUUID().slice(0, 8)}`;
  const java = javaCommand(Deno.env.get("JAVA_HOME"));
  const install = await installKafka({
    pomPath: "tasks/kafka/pom.xml",
    cacheDir: Deno.env.get("KAFKA_CACHE_DIR") || ".cache/kafka",
    java,
    log: () => {},
  });
  const brokerLines: string[] = [];
  const options = {
    java,
    libsDir: install.libsDir,
    dataDir,
    port: 19192,
    controllerPort: 19193,
    heap: "512m",
    log: (line: string) => brokerLines.push(line),
  };
  const topic = "restart-check";
  const values = Array.from({ length: 20 }, (_, index) => `event-${index}`);
  try {
    let broker = await startBroker(options);
    const kafka = await testKafka("restart-test", [broker.bootstrap]);
    {
      await using admin = await connectedAdmin(kafka);
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1 }] });
      const producer = kafka.producer({ idempotent: true });
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value })) });
      await producer.disconnect();
    }
    const stopped = await broker.stop();
    assert.equal(stopped.signal ?? null, null, "a controlled shutdown, not a kill");

    broker = await startBroker(options);
    try {
      const consumer = kafka.consumer({ groupId: "restart-reader", maxWaitTimeInMs: 200 });
      const seen: string[] = [];
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: ({ message }) =>
          Promise.resolve(void seen.push(message.value?.toString() ?? "")),
      });
      await eventually("20 events after the restart", () => seen.length >= 20 ? true : undefined, {
        timeoutMs: 30_000,
        lastSeen: () => seen.length,
      });
      await consumer.disconnect();
      assert.deepEqual(seen, values);
    } finally {
      await broker.stop();
    }
  } catch (error) {
    console.error(brokerLines.slice(-30).join("\n"));
    throw error;
  } finally {
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
});
