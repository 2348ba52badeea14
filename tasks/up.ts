/**
 * `deno task up`: the whole system in the foreground. Starts the embedded broker (unless
 * KAFKA_BOOTSTRAP_SERVERS names a cluster), creates the topics, starts the three services through
 * their own tasks, waits until each is ready, then streams every log line with a prefix.
 *
 * `up` owns what it starts: each child runs in a process group of its own behind a lifeline
 * (`lib/child.ts`), so however `up` ends (Ctrl-C, SIGTERM, SIGHUP, SIGKILL, its `deno task` wrapper
 * killed) the broker and the services are gone within their grace periods and the ports are free.
 */
import { ConfigError, parseConfig } from "@campus/shared/config";
import { createKafka, ensureTopics } from "@campus/shared/kafka";
import { createLogger } from "@campus/shared/log";
import { SERVICES } from "@campus/shared/services";
import { listenForStop } from "@campus/shared/stop_signals";
import { topicSpecs } from "@campus/shared/topics";
import { installKafka } from "./kafka/install.ts";
import { startBroker } from "./kafka/broker.ts";
import { type Child, spawnChild } from "./lib/child.ts";
import { waitForOk } from "./lib/health.ts";
import { createPrefixer, useColor } from "./lib/output.ts";
import { isPortInUse } from "./lib/ports.ts";
import { javaCommand, MissingToolError } from "./lib/tools.ts";
import { type UpConfig, upEnv } from "./up_config.ts";

type Service = (typeof SERVICES)[number];
const NAMES = ["up", "kafka", ...SERVICES.map((service) => service.name)];
const print = createPrefixer(NAMES, useColor());
const say = (line: string) => print("up", line);
/** How long a service may take to stop after SIGTERM before it is killed. */
const SERVICE_GRACE_MS = 10_000;
/** How long the broker may take for its controlled shutdown. */
const BROKER_GRACE_MS = 30_000;
const READY_TIMEOUT_MS = 90_000;

/** Something `up` started, stopped in reverse order on the way out. */
interface Started {
  name: string;
  child: Child;
}

function readConfig(): UpConfig {
  const env: Record<string, string | undefined> = {};
  for (const key of Object.keys(upEnv)) env[key] = Deno.env.get(key);
  return parseConfig(upEnv, env);
}

/** The services this run starts, in start order. */
function selected(config: UpConfig): Service[] {
  return SERVICES.filter((service) => config.UP_SERVICES.includes(service.name));
}

/** The address clients use for a service (a wildcard bind is reached over loopback). */
function clientHost(config: UpConfig): string {
  return config.HOST === "0.0.0.0" ? "127.0.0.1" : config.HOST;
}

/** Ports this run will listen on, checked before anything starts so a second `up` fails fast. */
function portsToClaim(config: UpConfig): Array<[string, string, number]> {
  const ports: Array<[string, string, number]> = selected(config).map((
    service,
  ) => [service.name, clientHost(config), config[service.portVariable]]);
  if (!config.KAFKA_BOOTSTRAP_SERVERS) {
    ports.push(
      ["kafka", "127.0.0.1", config.KAFKA_PORT],
      ["kafka controller", "127.0.0.1", config.KAFKA_CONTROLLER_PORT],
    );
  }
  return ports;
}

/** A message naming the first port already taken, or undefined when all are free. */
function portConflict(config: UpConfig): string | undefined {
  for (const [what, host, port] of portsToClaim(config)) {
    if (isPortInUse(host, port)) {
      return `Cannot start: ${what} port ${host}:${port} is already in use. Is another \`deno task up\` running? ` +
        `Stop it first, or choose other ports (see README, "Configuration").`;
    }
  }
  return undefined;
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    signal.throwIfAborted();
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** Everything one run of `up` shares between its steps. */
interface Run {
  config: UpConfig;
  /** Aborted on the first stop request. */
  stopping: AbortSignal;
  started: Started[];
  /** True once `up` itself stops things, so their exits are not reported as surprises. */
  shuttingDown: boolean;
}

function unexpected(run: Run): boolean {
  return !run.shuttingDown && !run.stopping.aborted;
}

/** Starts the embedded broker, or names the external cluster; returns bootstrap and description. */
async function startKafka(run: Run): Promise<{ brokers: string[]; description: string }> {
  const { config } = run;
  if (config.KAFKA_BOOTSTRAP_SERVERS) {
    const brokers = config.KAFKA_BOOTSTRAP_SERVERS;
    say(`Using the Kafka cluster at ${brokers.join(",")}; not starting the embedded broker.`);
    return { brokers, description: `${brokers.join(",")} (external cluster)` };
  }
  const java = javaCommand(config.JAVA_HOME);
  const install = await raceAbort(
    installKafka({
      pomPath: "tasks/kafka/pom.xml",
      cacheDir: config.KAFKA_CACHE_DIR,
      java,
      log: say,
    }),
    run.stopping,
  );
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
    graceMs: BROKER_GRACE_MS,
    log: (line) => print("kafka", line),
    signal: run.stopping,
    // Owned from the moment it exists: a second Ctrl-C while it starts must reach it too.
    onSpawn: (child) => run.started.push({ name: "kafka", child }),
  });
  broker.child.status.then((status) => {
    if (unexpected(run)) {
      say(`Kafka exited unexpectedly (code ${status.code}); services will retry.`);
    }
  });
  return {
    brokers: [broker.bootstrap],
    description:
      `${broker.bootstrap} (embedded Apache Kafka ${install.version}, data in ${config.KAFKA_DATA_DIR})`,
  };
}

async function createTopics(
  brokers: string[],
  partitions: number,
  stopping: AbortSignal,
): Promise<void> {
  const logger = createLogger({ service: "up", level: "error", write: say });
  const admin = createKafka({ clientId: "up", brokers, logger }).admin();
  try {
    await raceAbort(admin.connect(), stopping);
    const created = await raceAbort(ensureTopics(admin, topicSpecs(partitions)), stopping);
    say(created.length > 0 ? `Created topics: ${created.join(", ")}` : "Topics already exist.");
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** Starts each selected service through its own `deno task`; returns them with their URLs. */
function startServices(
  run: Run,
  brokers: string[],
): Array<Service & { url: string; child: Child }> {
  const env = {
    KAFKA_BOOTSTRAP_SERVERS: brokers.join(","),
    EVENT_PARTITIONS: String(run.config.EVENT_PARTITIONS),
  };
  return selected(run.config).map((service) => {
    const child = spawnChild(Deno.execPath(), {
      args: ["task", "--quiet", service.name],
      env,
      onLine: (line) => print(service.name, line),
      graceMs: SERVICE_GRACE_MS,
    });
    run.started.push({ name: service.name, child });
    child.status.then((status) => {
      if (unexpected(run)) {
        say(
          `${service.name} exited (code ${status.code}); the others keep running. Ctrl-C stops everything.`,
        );
      }
    });
    return {
      ...service,
      url: `http://${clientHost(run.config)}:${run.config[service.portVariable]}`,
      child,
    };
  });
}

/** Resolves once every service answers GET /ready; rejects if one exits first. */
async function waitUntilReady(
  run: Run,
  services: Array<{ name: string; url: string; child: Child }>,
): Promise<void> {
  await Promise.all(services.map((service) => {
    const exited = service.child.status.then((status) => {
      throw new Error(`${service.name} exited during start-up (code ${status.code})`);
    });
    return raceAbort(
      Promise.race([waitForOk(`${service.url}/ready`, { timeoutMs: READY_TIMEOUT_MS }), exited]),
      run.stopping,
    );
  }));
}

function printBanner(
  startedAt: number,
  services: Array<{ name: string; url: string }>,
  kafka: string,
): void {
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  const rule = "─".repeat(72);
  const producer = services.find((service) => service.name === "producer")?.url;
  const analytics = services.find((service) => service.name === "analytics")?.url;
  const lines = [
    rule,
    `Campus orders is up in ${seconds} s. Every service answers GET /ready.`,
    ...services.map((service) => `  ${service.name.padEnd(10)} ${service.url}`),
    `  ${"kafka".padEnd(10)} ${kafka}`,
    ...(analytics
      ? [`  Dashboard: ${analytics}/  (live; Kafka's tools: ./denow task kafka --help)`]
      : []),
    ...(producer
      ? [
        `  Try: curl -s -XPOST ${producer}/order -H 'content-type: application/json' \\`,
        `         -d '{"user_id":"u1","item":"pizza","quantity":1}'`,
      ]
      : []),
    "Ctrl-C stops everything.",
    rule,
  ];
  for (const line of lines) say(line);
}

/**
 * Stops what was started, newest first: the services, then the broker. Returns the names of those
 * that did not stop within their grace period and had to be killed.
 */
async function stopAll(started: Started[]): Promise<string[]> {
  const killed: string[] = [];
  for (const { name, child } of started.toReversed()) {
    try {
      const status = await child.stop();
      if (status.signal === "SIGKILL") killed.push(name);
      say(
        `${name} stopped (${status.signal ? `signal ${status.signal}` : `code ${status.code}`}).`,
      );
    } catch (error) {
      killed.push(name);
      say(`Cannot stop ${name}: ${error instanceof Error ? error.message : error}`);
    }
  }
  return killed;
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
  const conflict = portConflict(config);
  if (conflict) {
    say(conflict);
    return 1;
  }

  const stopping = new AbortController();
  const run: Run = { config, stopping: stopping.signal, started: [], shuttingDown: false };
  let forced = false;
  using _stopListener = listenForStop({
    onStop: (reason) => {
      say(
        `${reason === "parent exited" ? "Parent process exited" : `${reason} received`}: ` +
          "stopping services, then Kafka... (Ctrl-C again to kill everything now)",
      );
      stopping.abort(new Error(`stopped by ${reason}`));
    },
    onForce: (reason) => {
      say(`${reason} again: killing everything now.`);
      forced = true;
      for (const { child } of run.started) child.kill("SIGKILL");
    },
    watchParent: true,
  });

  let exitCode = 0;
  try {
    const kafka = await startKafka(run);
    stopping.signal.throwIfAborted();
    await createTopics(kafka.brokers, config.EVENT_PARTITIONS, stopping.signal);
    stopping.signal.throwIfAborted();
    const services = startServices(run, kafka.brokers);
    await waitUntilReady(run, services);
    printBanner(startedAt, services, kafka.description);
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
    run.shuttingDown = true;
    const killed = await stopAll(run.started);
    if (killed.length > 0 && !forced) {
      say(`Killed after their grace period: ${killed.join(", ")}.`);
      exitCode = 1;
    }
  }
  if (forced) return 130;
  if (exitCode === 0) say("All stopped.");
  return exitCode;
}

Deno.exit(await main());
