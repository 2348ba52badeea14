/**
 * A single-node Kafka broker+controller (KRaft combined mode) run from the cached jars.
 * @module
 */
import { createKafka } from "@campus/shared/kafka";
import { createLogger } from "@campus/shared/log";
import { poll } from "@campus/shared/timing";
import { type Child, spawnChild } from "../lib/child.ts";
import { RecentLines } from "../lib/lines.ts";
import { LOG4J2_PROPERTIES, newClusterId, serverProperties, type Voter } from "./config.ts";

/** Options for {@linkcode startBroker}. */
export interface BrokerOptions {
  java: string;
  libsDir: string;
  /** Holds `config/` and `logs/` (the topic data); kept across restarts. */
  dataDir: string;
  port: number;
  controllerPort: number;
  /** In a cluster: this node's id, every node, and the id all were formatted with. */
  nodeId?: number;
  voters?: readonly Voter[];
  clusterId?: string;
  /** JVM heap, e.g. "768m". */
  heap: string;
  /** Every line the broker prints. */
  log: (line: string) => void;
  readyTimeoutMs?: number;
  /** How long a controlled shutdown may take before the broker is killed (default 30 s). */
  graceMs?: number;
  /** Aborts the start: the broker is stopped and the start rejects. */
  signal?: AbortSignal;
  /** Called as soon as the JVM is spawned, before it is ready, so a supervisor can own it. */
  onSpawn?: (child: Child) => void;
}

/** A broker process that answers metadata requests. */
export interface RunningBroker {
  readonly bootstrap: string;
  /** The JVM, in a process group of its own behind a lifeline (see `lib/child.ts`). */
  readonly child: Child;
  /** SIGTERM (a controlled shutdown), then SIGKILL after the grace period. */
  stop(): Promise<Deno.CommandStatus>;
}

async function isFormatted(logDir: string): Promise<boolean> {
  try {
    await Deno.stat(`${logDir}/meta.properties`);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Formats the storage once; a formatted data directory is reused, so events survive restarts. */
async function formatStorageOnce(options: BrokerOptions, paths: BrokerPaths): Promise<void> {
  if (await isFormatted(paths.logDir)) return;
  const clusterId = options.clusterId ?? newClusterId();
  options.log(`Formatting KRaft storage in ${paths.logDir} (cluster id ${clusterId})`);
  const output = await new Deno.Command(options.java, {
    args: [
      ...jvmArgs(options, paths, "256m"),
      "kafka.tools.StorageTool",
      "format",
      "-t",
      clusterId,
      "-c",
      paths.serverProperties,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
    throw new Error(`Cannot format Kafka storage in ${paths.logDir}:\n${text}`);
  }
}

interface BrokerPaths {
  logDir: string;
  serverProperties: string;
  log4j: string;
}

function jvmArgs(options: BrokerOptions, paths: BrokerPaths, heap: string): string[] {
  return [
    `-Xmx${heap}`,
    `-Xms${heap === options.heap ? "256m" : heap}`,
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
    `-Dlog4j2.configurationFile=${paths.log4j}`,
    "-cp",
    `${options.libsDir}/*`,
  ];
}

/**
 * Writes the configuration, formats storage on first use, starts the broker and resolves once it
 * serves metadata. Rejects with the broker's last lines if it exits or does not answer in time.
 */
export async function startBroker(options: BrokerOptions): Promise<RunningBroker> {
  const dataDir = await Deno.realPath(await ensureDir(options.dataDir));
  const paths: BrokerPaths = {
    logDir: `${dataDir}/logs`,
    serverProperties: `${dataDir}/config/server.properties`,
    log4j: `${dataDir}/config/log4j2.properties`,
  };
  await ensureDir(`${dataDir}/config`);
  await Deno.writeTextFile(
    paths.serverProperties,
    serverProperties({
      port: options.port,
      controllerPort: options.controllerPort,
      logDir: paths.logDir,
      nodeId: options.nodeId,
      voters: options.voters,
    }),
  );
  await Deno.writeTextFile(paths.log4j, LOG4J2_PROPERTIES);
  await formatStorageOnce(options, paths);

  options.signal?.throwIfAborted();
  const recent = new RecentLines(40);
  // Its own process group: a terminal's Ctrl-C reaches only the supervisor, which stops the
  // services first and the broker last; the lifeline stops it if the supervisor dies.
  const child = spawnChild(options.java, {
    args: [...jvmArgs(options, paths, options.heap), "kafka.Kafka", paths.serverProperties],
    onLine: (line) => {
      recent.push(line);
      options.log(line);
    },
    graceMs: options.graceMs ?? 30_000,
  });
  options.onSpawn?.(child);
  const bootstrap = `127.0.0.1:${options.port}`;
  const exitedEarly = child.status.then((result) => {
    throw new Error(`Kafka exited during start-up (code ${result.code}):\n${recent}`);
  });
  const aborted = new Promise<never>((_, reject) => {
    options.signal?.addEventListener("abort", () => reject(options.signal?.reason), {
      once: true,
    });
  });
  const probing = new AbortController();
  try {
    options.signal?.throwIfAborted();
    await Promise.race([
      waitForMetadata(bootstrap, options.readyTimeoutMs ?? 90_000, probing.signal),
      exitedEarly,
      aborted,
    ]);
  } catch (error) {
    await child.stop();
    throw error;
  } finally {
    probing.abort();
  }
  exitedEarly.catch(() => {}); // after start-up an exit is reported through `status`
  aborted.catch(() => {});
  return { bootstrap, child, stop: () => child.stop() };
}

async function ensureDir(path: string): Promise<string> {
  await Deno.mkdir(path, { recursive: true });
  return path;
}

/** Resolves once a metadata request to `bootstrap` lists at least one broker. */
export async function waitForMetadata(
  bootstrap: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  const quiet = createLogger({ service: "kafka-probe", write: () => {} });
  const admin = createKafka({ clientId: "readiness-probe", brokers: [bootstrap], logger: quiet })
    .admin();
  try {
    await poll(`Kafka at ${bootstrap} to answer metadata`, async () => {
      await admin.connect();
      return (await admin.describeCluster()).brokers.length > 0 || undefined;
    }, { timeoutMs, intervalMs: 250, signal });
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
