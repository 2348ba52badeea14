/**
 * `deno task up`: the whole system in the foreground. Starts the embedded broker (unless
 * KAFKA_BOOTSTRAP_SERVERS names a cluster), creates the topics, starts the three services through
 * their own tasks, waits until each is healthy, then streams every log line with a prefix.
 * Ctrl-C or SIGTERM stops the services in reverse order, then the broker, and exits 0.
 */
import { ConfigError, parseConfig } from "@campus/shared/config";
import { createKafka, ensureTopics } from "@campus/shared/kafka";
import { createLogger } from "@campus/shared/log";
import { TOPICS } from "@campus/shared/topics";
import { installKafka } from "./kafka/install.ts";
import { type RunningBroker, startBroker } from "./kafka/broker.ts";
import { waitForHealth } from "./lib/health.ts";
import { forEachLine } from "./lib/lines.ts";
import { createPrefixer, useColor } from "./lib/output.ts";
import { isPortInUse } from "./lib/ports.ts";
import { stopProcess } from "./lib/process.ts";
import { javaCommand, MissingToolError } from "./lib/tools.ts";
import { type UpConfig, upEnv } from "./up_config.ts";

const SERVICES = [
  { name: "producer", portKey: "PRODUCER_PORT" },
  { name: "inventory", portKey: "INVENTORY_PORT" },
  { name: "analytics", portKey: "ANALYTICS_PORT" },
] as const;
const NAMES = ["up", "kafka", ...SERVICES.map((service) => service.name)];
const print = createPrefixer(NAMES, useColor());
const say = (line: string) => print("up", line);

/** Something `up` started and must stop on the way out. */
interface Stoppable {
  name: string;
  stop(): Promise<Deno.CommandStatus>;
  kill(): void;
}

function readConfig(): UpConfig {
  const env: Record<string, string | undefined> = {};
  for (const key of Object.keys(upEnv)) env[key] = Deno.env.get(key);
  return parseConfig(upEnv, env);
}

function producerHint(url: string | undefined): string[] {
  if (!url) return [];
  return [
    `  Try: curl -s -XPOST ${url}/order -H 'content-type: application/json' \\`,
    `         -d '{"user_id":"u1","item":"pizza","quantity":1}'`,
  ];
}

/** The services this run starts, in start order. */
function selected(config: UpConfig): (typeof SERVICES)[number][] {
  return SERVICES.filter((service) => config.UP_SERVICES.includes(service.name));
}

/** Ports this run will listen on, checked before anything starts so a second `up` fails fast. */
function portsToClaim(config: UpConfig): Array<[string, string, number]> {
  const host = config.HOST === "0.0.0.0" ? "127.0.0.1" : config.HOST;
  const ports: Array<[string, string, number]> = selected(config).map((
    service,
  ) => [service.name, host, config[service.portKey]]);
  if (!config.KAFKA_BOOTSTRAP_SERVERS) {
    ports.push(["kafka", "127.0.0.1", config.KAFKA_PORT], [
      "kafka controller",
      "127.0.0.1",
      config.KAFKA_CONTROLLER_PORT,
    ]);
  }
  return ports;
}

function startServiceTask(
  name: string,
  env: Record<string, string>,
): Stoppable & { status: Promise<Deno.CommandStatus> } {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", name],
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    detached: true, // so a terminal's Ctrl-C reaches only us, and we stop things in order
  }).spawn();
  const output = Promise.all([
    forEachLine(child.stdout, (line) => print(name, line)),
    forEachLine(child.stderr, (line) => print(name, line)),
  ]);
  const status = output.then(() => child.status);
  return {
    name,
    status,
    stop: () => stopProcess(child, { timeoutMs: 10_000, status }),
    kill: () => child.kill("SIGKILL"),
  };
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    signal.throwIfAborted();
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

async function main(): Promise<number> {
  const startedAt = performance.now();
  let config: UpConfig;
  try {
    config = readConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      say(error.message);
      return 1;
    }
    throw error;
  }

  for (const [what, host, port] of portsToClaim(config)) {
    if (isPortInUse(host, port)) {
      say(
        `Cannot start: ${what} port ${host}:${port} is already in use. Is another \`deno task up\` running? ` +
          `Stop it first, or choose other ports (see README, "Configuration").`,
      );
      return 1;
    }
  }

  const stopping = new AbortController();
  // Set once we stop things ourselves, so their exits are not reported as surprises.
  let shuttingDown = false;
  const unexpected = () => !shuttingDown && !stopping.signal.aborted;
  const started: Stoppable[] = [];
  let forced = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => {
      if (!stopping.signal.aborted) {
        say(`${signal} received: stopping services, then Kafka...`);
        stopping.abort(new Error(`stopped by ${signal}`));
        return;
      }
      say(`${signal} again: killing everything now.`);
      forced = true;
      for (const process of started) {
        try {
          process.kill();
        } catch { /* already gone */ }
      }
    });
  }

  let exitCode = 0;
  try {
    const java = javaCommand(config.JAVA_HOME);
    let brokers = config.KAFKA_BOOTSTRAP_SERVERS;
    let broker: RunningBroker | undefined;
    let kafkaDescription: string;
    if (brokers) {
      kafkaDescription = `${brokers.join(",")} (external cluster)`;
      say(`Using the Kafka cluster at ${brokers.join(",")}; not starting the embedded broker.`);
    } else {
      const install = await raceAbort(
        installKafka({
          pomPath: "tasks/kafka/pom.xml",
          cacheDir: config.KAFKA_CACHE_DIR,
          java,
          log: say,
        }),
        stopping.signal,
      );
      say(
        `Starting Apache Kafka ${install.version} on 127.0.0.1:${config.KAFKA_PORT} (data: ${config.KAFKA_DATA_DIR})`,
      );
      broker = await startBroker({
        java,
        libsDir: install.libsDir,
        dataDir: config.KAFKA_DATA_DIR,
        port: config.KAFKA_PORT,
        controllerPort: config.KAFKA_CONTROLLER_PORT,
        heap: config.KAFKA_HEAP,
        log: (line) => print("kafka", line),
      });
      const running = broker;
      started.push({
        name: "kafka",
        stop: () => running.stop(),
        kill: () => Deno.kill(running.pid, "SIGKILL"),
      });
      running.status.then((status) => {
        if (unexpected()) {
          say(`Kafka exited unexpectedly (code ${status.code}); services will retry.`);
        }
      });
      brokers = [broker.bootstrap];
      kafkaDescription =
        `${broker.bootstrap} (embedded Apache Kafka ${install.version}, data in ${config.KAFKA_DATA_DIR})`;
    }
    stopping.signal.throwIfAborted();

    const logger = createLogger({ service: "up", level: "error", write: say });
    const admin = createKafka({ clientId: "up", brokers, logger }).admin();
    await raceAbort(admin.connect(), stopping.signal);
    try {
      const created = await raceAbort(ensureTopics(admin, TOPICS), stopping.signal);
      say(created.length > 0 ? `Created topics: ${created.join(", ")}` : "Topics already exist.");
    } finally {
      await admin.disconnect();
    }

    const serviceEnv = { KAFKA_BOOTSTRAP_SERVERS: brokers.join(",") };
    const host = config.HOST === "0.0.0.0" ? "127.0.0.1" : config.HOST;
    const services = selected(config).map((service) => {
      const process = startServiceTask(service.name, serviceEnv);
      started.push(process);
      const url = `http://${host}:${config[service.portKey]}`;
      process.status.then((status) => {
        if (unexpected()) {
          say(
            `${service.name} exited (code ${status.code}); the others keep running. Ctrl-C stops everything.`,
          );
        }
      });
      return { ...service, url, process };
    });
    await Promise.all(services.map((service) => {
      const exited = service.process.status.then((status) => {
        throw new Error(`${service.name} exited during start-up (code ${status.code})`);
      });
      return raceAbort(
        Promise.race([waitForHealth(`${service.url}/health`, { timeoutMs: 60_000 }), exited]),
        stopping.signal,
      );
    }));

    const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
    const rule = "─".repeat(72);
    const banner = [
      rule,
      `Campus orders is up in ${seconds} s. Every service answers GET /health.`,
      ...services.map((service) => `  ${service.name.padEnd(10)} ${service.url}`),
      `  ${"kafka".padEnd(10)} ${kafkaDescription}`,
      ...producerHint(services.find((service) => service.name === "producer")?.url),
      "Ctrl-C stops everything.",
      rule,
    ];
    for (const line of banner) say(line);
    await new Promise((resolve) =>
      stopping.signal.addEventListener("abort", resolve, { once: true })
    );
  } catch (error) {
    if (!stopping.signal.aborted) {
      exitCode = 1;
      say(
        error instanceof MissingToolError
          ? error.message
          : `Start-up failed: ${error instanceof Error ? error.message : error}`,
      );
    }
  } finally {
    shuttingDown = true;
    for (const process of started.toReversed()) {
      const status = await process.stop();
      say(
        `${process.name} stopped (${
          status.signal ? `signal ${status.signal}` : `code ${status.code}`
        }).`,
      );
    }
  }
  if (forced) return 130;
  if (exitCode === 0) say("All stopped.");
  return exitCode;
}

Deno.exit(await main());
