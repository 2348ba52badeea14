/**
 * `deno task up` and the embedded broker as processes: refusing a second run, and keeping events
 * across a broker restart. Both need to start processes, so plain `deno test --allow-net` skips them.
 */
import assert from "node:assert/strict";
import {
  canStartProcesses,
  connectedAdmin,
  eventually,
  granted,
  kafkaClientAllowed,
  stack,
  testKafka,
} from "./_support.ts";

const canRun = granted({ name: "run" }) && granted({ name: "env" });

function portOf(url: string): string {
  return new URL(url).port;
}

/** Runs `deno task up` with `env` to the end; a run that starts after all is ended after 60 s. */
async function runUp(env: Record<string, string>): Promise<{ code: number; text: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "up"],
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const decoder = new TextDecoder();
  return { code: output.code, text: decoder.decode(output.stdout) + decoder.decode(output.stderr) };
}

Deno.test({
  name:
    "a second `deno task up` on the ports of a running stack refuses, names the port and exits 1",
  ignore: !canRun,
}, async () => {
  const [, kafkaPort = ""] = (stack.brokers[0] ?? "").split(":");
  const { code, text } = await runUp({
    PRODUCER_PORT: portOf(stack.producerUrl),
    INVENTORY_PORT: portOf(stack.inventoryUrl),
    ANALYTICS_PORT: portOf(stack.analyticsUrl),
    KAFKA_PORT: kafkaPort,
  });
  assert.equal(code, 1, text);
  assert.match(
    text,
    new RegExp(`port 127\\.0\\.0\\.1:${portOf(stack.producerUrl)} is already in use`),
  );
  assert.doesNotMatch(text, /Starting Apache Kafka/, "nothing was started");
});

Deno.test({
  name: "the embedded broker keeps its events when it is stopped and started again",
  ignore: !canStartProcesses || !kafkaClientAllowed,
  // kafkajs leaves a reconnect timer behind after the broker it talked to went away.
  sanitizeOps: false,
}, async () => {
  // Loaded here, not at the top: kafkajs needs env access, which plain `--allow-net` lacks.
  const { startOwnBroker } = await import("../tasks/own_processes.ts");
  await using broker = await startOwnBroker(19192);
  const kafka = await testKafka("restart-test", [broker.bootstrap]);
  const topic = "restart-check";
  const values = Array.from({ length: 20 }, (_, index) => `event-${index}`);
  try {
    {
      await using admin = await connectedAdmin(kafka);
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1 }] });
      const producer = kafka.producer({ idempotent: true });
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value })) });
      await producer.disconnect();
    }
    await broker.stop();
    await broker.start();

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
  } catch (error) {
    console.error(broker.log.toString());
    throw error;
  }
});

Deno.test({
  name: "a missing Java is reported with what to install",
  ignore: !canRun,
}, async () => {
  const { requireJava, MissingToolError } = await import("../tasks/lib/tools.ts");
  await assert.rejects(requireJava("/nonexistent/jdk/bin/java"), (error: unknown) => {
    assert.ok(error instanceof MissingToolError);
    assert.match(
      error.message,
      /Cannot run "\/nonexistent\/jdk\/bin\/java"\. Install Java 17 or newer/,
    );
    assert.match(error.message, /apt-get install openjdk-17-jre-headless/);
    return true;
  });
});

Deno.test({
  name: "`deno task up` with JAVA_HOME pointing nowhere says what to install and exits 1",
  ignore: !canRun,
}, async () => {
  const { code, text } = await runUp({
    // Empty means unset: with a cluster named, up would not need Java and would start services.
    KAFKA_BOOTSTRAP_SERVERS: "",
    JAVA_HOME: "/nonexistent/jdk",
    // Ports and a cache of its own, so the check for the jars cannot find them already fetched.
    KAFKA_PORT: "19692",
    KAFKA_CONTROLLER_PORT: "19693",
    KAFKA_CACHE_DIR: ".cache/no-java-check",
    PRODUCER_PORT: "15601",
    INVENTORY_PORT: "15602",
    ANALYTICS_PORT: "15603",
  });
  assert.equal(code, 1, text);
  assert.match(text, /Install Java 17 or newer/);
});
