/**
 * `deno task broker`: the embedded Kafka broker alone, in the foreground, on the same port, data
 * directory and jars as `up` uses. With it, Kafka can be stopped (Ctrl-C) and started again while
 * the services run (`KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092 ./denow task up` in another terminal):
 * the lab's Kafka shutdown scenario.
 * @module
 */
import { ConfigError, parseConfig } from "@campus/shared/config";
import { createKafka, ensureTopics } from "@campus/shared/kafka";
import { createLogger } from "@campus/shared/log";
import { topicSpecs } from "@campus/shared/topics";
import { installKafka } from "./kafka/install.ts";
import { startBroker } from "./kafka/broker.ts";
import { onStopRequest } from "./lib/entry.ts";
import { isPortInUse } from "./lib/ports.ts";
import { javaCommand } from "./lib/tools.ts";
import { upEnv } from "./up_config.ts";

function say(line: string): void {
  console.log(`broker | ${line}`);
}

const config = (() => {
  const env: Record<string, string | undefined> = {};
  for (const key of Object.keys(upEnv)) env[key] = Deno.env.get(key);
  try {
    return parseConfig(upEnv, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    Deno.exit(1);
  }
})();
for (const port of [config.KAFKA_PORT, config.KAFKA_CONTROLLER_PORT]) {
  if (isPortInUse("127.0.0.1", port)) {
    console.error(`Cannot start: port 127.0.0.1:${port} is already in use. Is Kafka running?`);
    Deno.exit(1);
  }
}

const java = javaCommand(config.JAVA_HOME);
const install = await installKafka({
  pomPath: "tasks/kafka/pom.xml",
  cacheDir: config.KAFKA_CACHE_DIR,
  java,
  log: say,
});
const stopping = new AbortController();
let stopRequested = false;
onStopRequest("broker", () => {
  stopRequested = true;
  stopping.abort();
});
say(
  `Starting Apache Kafka ${install.version} on 127.0.0.1:${config.KAFKA_PORT} (data: ${config.KAFKA_DATA_DIR})`,
);
const broker = await startBroker({
  java,
  libsDir: install.libsDir,
  dataDir: config.KAFKA_DATA_DIR,
  port: config.KAFKA_PORT,
  controllerPort: config.KAFKA_CONTROLLER_PORT,
  heap: config.KAFKA_HEAP,
  log: (line) => console.log(`kafka | ${line}`),
  signal: stopping.signal,
}).catch((error) => {
  if (stopRequested) Deno.exit(130);
  console.error(error instanceof Error ? error.message : error);
  Deno.exit(1);
});

const admin = createKafka({
  clientId: "broker-task",
  brokers: [broker.bootstrap],
  logger: createLogger({ service: "broker", level: "error", write: say }),
}).admin();
await admin.connect();
const created = await ensureTopics(admin, topicSpecs(config.EVENT_PARTITIONS));
await admin.disconnect();
say(created.length > 0 ? `Created topics: ${created.join(", ")}` : "Topics already exist.");
say(
  `Kafka is up on ${broker.bootstrap}. Ctrl-C stops it. Services against it: ` +
    `KAFKA_BOOTSTRAP_SERVERS=${broker.bootstrap} ./denow task up`,
);

const stopped = stopping.signal.aborted
  ? Promise.resolve()
  : new Promise<void>((resolve) =>
    stopping.signal.addEventListener("abort", () => resolve(), { once: true })
  );
const outcome = await Promise.race([
  stopped.then(() => "stop" as const),
  broker.child.status.then(() => "exited" as const),
]);
if (outcome === "exited") {
  say("Kafka exited unexpectedly.");
  Deno.exit(1);
}
say("Stopping Kafka (a controlled shutdown)...");
const status = await broker.stop();
say(`Kafka stopped (exit ${status.code}).`);
Deno.exit(0);
