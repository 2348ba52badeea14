/**
 * `deno task up`: the whole system in the foreground. Starts the embedded broker (unless
 * KAFKA_BOOTSTRAP_SERVERS names a cluster), creates the topics, starts the three services through
 * their own tasks, waits until each is ready, then streams every log line with a prefix.
 *
 * `up` owns what it starts: each child runs in a process group of its own behind a lifeline
 * (`lib/child.ts`), so however `up` ends (Ctrl-C, SIGTERM, SIGHUP, SIGKILL, its `deno task` wrapper
 * killed) the broker and the services are gone within their grace periods and the ports are free.
 */
import { dirname } from "node:path";
import { ConfigError, parseConfig } from "@campus/shared/config";
import { createKafka, ensureTopics } from "@campus/shared/kafka";
import { createLogger } from "@campus/shared/log";
import { listenForStop } from "@campus/shared/stop_signals";
import { topicSpecs } from "@campus/shared/topics";
import { installKafka } from "./kafka/install.ts";
import { type RunningBroker, startBroker } from "./kafka/broker.ts";
import { replicationFor } from "./kafka/config.ts";
import { type ClusterOptions, planCluster, restartNode, startCluster } from "./kafka/cluster.ts";
import { type Child, spawnChild } from "./lib/child.ts";
import { waitForOk } from "./lib/health.ts";
import { createPrefixer, useColor } from "./lib/output.ts";
import { isPortInUse } from "./lib/ports.ts";
import { javaCommand, MissingToolError } from "./lib/tools.ts";
import {
  type Instance,
  parseUpArgs,
  planInstances,
  type UpArgs,
  type UpConfig,
  upEnv,
  UsageError,
} from "./up_config.ts";

// Set in main() once the command line says which processes there are; until then, plain lines.
let print: (name: string, line: string) => void = (_, line) => console.log(line);
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
  /** A Kafka node: stopped last, all nodes at once. */
  broker: boolean;
  /** Set once it has exited, by itself or stopped. */
  exited?: boolean;
}

function readConfig(): UpConfig {
  const env: Record<string, string | undefined> = {};
  for (const key of Object.keys(upEnv)) env[key] = Deno.env.get(key);
  return parseConfig(upEnv, env);
}

/** The address clients use for a service (a wildcard bind is reached over loopback). */
function clientHost(config: UpConfig): string {
  return config.HOST === "0.0.0.0" ? "127.0.0.1" : config.HOST;
}

/** The nodes of the embedded cluster, or none with an external one. */
function kafkaNodes(config: UpConfig, args: UpArgs) {
  if (config.KAFKA_BOOTSTRAP_SERVERS) return [];
  return planCluster({
    nodes: args.brokers,
    port: config.KAFKA_PORT,
    controllerPort: config.KAFKA_CONTROLLER_PORT,
    dataDir: clusterDataDir(config, args),
  }).map((node) => ({ ...node, name: args.brokers > 1 ? `kafka-${node.id}` : "kafka" }));
}

/** One broker keeps KAFKA_DATA_DIR; a cluster of N, a directory of its own per size. */
function clusterDataDir(config: UpConfig, args: UpArgs): string {
  return args.brokers > 1
    ? `${config.KAFKA_DATA_DIR}-cluster-${args.brokers}`
    : config.KAFKA_DATA_DIR;
}

/** Ports this run will listen on, checked before anything starts so a second `up` fails fast. */
function portsToClaim(config: UpConfig, args: UpArgs): Array<[string, string, number]> {
  const ports: Array<[string, string, number]> = planInstances(config, args.scale).map((
    instance,
  ) => [instance.name, clientHost(config), instance.port]);
  for (const node of kafkaNodes(config, args)) {
    ports.push(
      [node.name, "127.0.0.1", node.port],
      [`${node.name} controller`, "127.0.0.1", node.controllerPort],
    );
  }
  return ports;
}

/** A message naming the first port already taken, or undefined when all are free. */
function portConflict(config: UpConfig, args: UpArgs): string | undefined {
  for (const [what, host, port] of portsToClaim(config, args)) {
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
  args: UpArgs;
  /** Aborted on the first stop request. */
  stopping: AbortSignal;
  started: Started[];
  /** True once `up` itself stops things, so their exits are not reported as surprises. */
  shuttingDown: boolean;
}

/** Records a process `up` started, to stop it on the way out. */
function own(run: Run, name: string, child: Child, broker: boolean): void {
  const entry: Started = { name, child, broker };
  run.started.push(entry);
  // Only an exit before the shutdown counts: one stopped by `up` is reported as it stops.
  child.status.then(() => entry.exited = !run.shuttingDown);
}

function unexpected(run: Run): boolean {
  return !run.shuttingDown && !run.stopping.aborted;
}

/** How many times `up` starts a cluster node again that died; a node that keeps dying stays down. */
const NODE_RESTARTS = 5;
/** How long after a node died `up` starts it again. */
const NODE_RESTART_DELAY_MS = 2_000;

/**
 * Starts a node of the cluster again when it dies unexpectedly (as a service manager would): the
 * others keep the cluster writable meanwhile, and the node catches up on what it missed. A single
 * broker is left down instead: without it nothing works, and its death is for the operator to see.
 */
function superviseNode(
  run: Run,
  options: ClusterOptions,
  node: ClusterOptions["nodes"][number],
  child: Child,
  restartsLeft: number,
): void {
  child.status.then(async (status) => {
    if (!unexpected(run)) return;
    if (restartsLeft === 0) {
      say(
        `kafka-${node.id} exited unexpectedly (code ${status.code}) and is left down: it died ${NODE_RESTARTS} times.`,
      );
      return;
    }
    say(
      `kafka-${node.id} exited unexpectedly (code ${status.code}); starting it again in ` +
        `${NODE_RESTART_DELAY_MS / 1000} s (the other nodes keep the cluster writable).`,
    );
    await new Promise((resolve) => setTimeout(resolve, NODE_RESTART_DELAY_MS));
    if (!unexpected(run)) return;
    try {
      const broker = await restartNode(options, node);
      // The dead incarnation is no longer ours to stop (or to report as already exited).
      run.started = run.started.filter((entry) => entry.child !== child);
      say(`kafka-${node.id} is back on 127.0.0.1:${node.port}; it catches up from the others.`);
      superviseNode(run, options, node, broker.child, restartsLeft - 1);
    } catch (error) {
      if (unexpected(run)) {
        say(
          `Cannot start kafka-${node.id} again: ${error instanceof Error ? error.message : error}`,
        );
      }
    }
  });
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
  const onExit = (name: string) => (status: Deno.CommandStatus) => {
    if (unexpected(run)) {
      say(`${name} exited unexpectedly (code ${status.code}); services will retry.`);
    }
  };
  if (run.args.brokers === 1) {
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
      onSpawn: (child) => own(run, "kafka", child, true),
    });
    broker.child.status.then(onExit("Kafka"));
    return {
      brokers: [broker.bootstrap],
      description:
        `${broker.bootstrap} (embedded Apache Kafka ${install.version}, data in ${config.KAFKA_DATA_DIR})`,
    };
  }
  const nodes = kafkaNodes(config, run.args);
  const dataDir = clusterDataDir(config, run.args);
  say(
    `Starting a ${nodes.length}-node Apache Kafka ${install.version} cluster on ` +
      `${nodes.map((node) => `127.0.0.1:${node.port}`).join(", ")} (data: ${dataDir})`,
  );
  const clusterOptions: ClusterOptions = {
    java,
    libsDir: install.libsDir,
    dataDir,
    nodes,
    heap: config.KAFKA_HEAP,
    graceMs: BROKER_GRACE_MS,
    log: (node, line) => print(`kafka-${node.id}`, line),
    signal: run.stopping,
    onSpawn: (node, child) => own(run, `kafka-${node.id}`, child, true),
  };
  const cluster: RunningBroker[] = await startCluster(clusterOptions);
  cluster.forEach((broker, index) =>
    superviseNode(run, clusterOptions, nodes[index]!, broker.child, NODE_RESTARTS)
  );
  const brokers = cluster.map((broker) => broker.bootstrap);
  const replication = replicationFor(nodes.length);
  return {
    brokers,
    // One line for clients, then one per node (name, then what the banner prints beside it).
    description: [
      `${brokers.join(",")} (embedded ${nodes.length}-node Apache Kafka ${install.version} ` +
      `cluster, ${replication.replicas} replicas, min.insync.replicas=${replication.minInSync})`,
      ...nodes.map((node) =>
        `${node.name}\t127.0.0.1:${node.port} (controller 127.0.0.1:${node.controllerPort}, ` +
        `data in ${node.dataDir})`
      ),
    ].join("\n"),
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

/** Starts each instance through its service's own `deno task`; returns them with their URLs. */
function startServices(
  run: Run,
  brokers: string[],
): Array<Instance & { url: string; child: Child }> {
  const instances = planInstances(run.config, run.args.scale);
  const url = (instance: Instance) => `http://${clientHost(run.config)}:${instance.port}`;
  // The dashboard shows every inventory instance's stock, unless told where inventory is.
  const inventories = instances.filter((instance) => instance.service.name === "inventory");
  const dashboardInventory = Deno.env.get("DASHBOARD_INVENTORY_URL") ||
    inventories.map(url).join(",");
  const dashboardProducer = Deno.env.get("DASHBOARD_PRODUCER_URL") ||
    instances.filter((instance) => instance.service.name === "producer").map(url).join(",");
  // The producers' outboxes belong with this stack's Kafka data (a fresh data directory, as the
  // tests use, must not inherit orders queued for another cluster).
  const outboxDir = Deno.env.get("ORDER_OUTBOX_DIR") ||
    (run.args.brokers > 1
      ? `${clusterDataDir(run.config, run.args)}/outbox`
      : `${dirname(run.config.KAFKA_DATA_DIR)}/outbox`);
  return instances.map((instance) => {
    const child = spawnChild(Deno.execPath(), {
      args: ["task", "--quiet", instance.service.name],
      env: {
        KAFKA_BOOTSTRAP_SERVERS: brokers.join(","),
        EVENT_PARTITIONS: String(run.config.EVENT_PARTITIONS),
        [instance.service.portVariable]: String(instance.port),
        ...(instance.service.name === "analytics"
          ? {
            DASHBOARD_INVENTORY_URL: dashboardInventory,
            DASHBOARD_PRODUCER_URL: dashboardProducer,
          }
          : {}),
        ...(instance.service.name === "producer" ? { ORDER_OUTBOX_DIR: outboxDir } : {}),
      },
      onLine: (line) => print(instance.name, line),
      graceMs: SERVICE_GRACE_MS,
    });
    own(run, instance.name, child, false);
    child.status.then((status) => {
      if (unexpected(run)) {
        say(
          `${instance.name} exited (code ${status.code}); the others keep running. Ctrl-C stops everything.`,
        );
      }
    });
    return { ...instance, url: url(instance), child };
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
  const width = Math.max(10, ...services.map((service) => service.name.length + 1));
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  const rule = "─".repeat(72);
  const producer = services.find((service) => service.name.startsWith("producer"))?.url;
  const analytics = services.find((service) => service.name.startsWith("analytics"))?.url;
  const lines = [
    rule,
    `Campus orders is up in ${seconds} s. Every service answers GET /ready.`,
    ...services.map((service) => `  ${service.name.padEnd(width)} ${service.url}`),
    `  ${"kafka".padEnd(width)} ${kafka.split("\n")[0]}`,
    ...kafka.split("\n").slice(1).map((line) => {
      const [name = "", where = ""] = line.split("\t");
      return `    ${name.padEnd(width - 2)} ${where}`;
    }),
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
  const stop = async ({ name, child, exited }: Started) => {
    if (exited) {
      say(`${name} had already exited.`);
      return;
    }
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
  };
  for (const entry of started.toReversed().filter((entry) => !entry.broker)) await stop(entry);
  // The nodes of a cluster together: one stopped after the others would find no quorum to
  // report its controlled shutdown to, and wait out its grace period.
  await Promise.all(started.filter((entry) => entry.broker).map(stop));
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
  let args: UpArgs;
  try {
    args = parseUpArgs(Deno.args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(error.message);
    return Deno.args.includes("--help") || Deno.args.includes("-h") ? 0 : 2;
  }
  print = createPrefixer(
    [
      "up",
      ...kafkaNodes(config, args).map((node) => node.name),
      ...planInstances(config, args.scale).map((instance) => instance.name),
    ],
    useColor(),
  );
  const conflict = portConflict(config, args);
  if (conflict) {
    say(conflict);
    return 1;
  }

  const stopping = new AbortController();
  const run: Run = { config, args, stopping: stopping.signal, started: [], shuttingDown: false };
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
