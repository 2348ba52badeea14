/**
 * Brokers and services that a test owns: started fresh on ports of its own, so it can stop and kill
 * them without touching the shared test stack.
 * @module
 */
import { installKafka } from "../tasks/kafka/install.ts";
import { type RunningBroker, startBroker } from "../tasks/kafka/broker.ts";
import { forEachLine, RecentLines } from "../tasks/lib/lines.ts";
import { stopProcess } from "../tasks/lib/process.ts";
import { javaCommand } from "../tasks/lib/tools.ts";
import { granted } from "./_support.ts";

/** Whether tests may start their own brokers and services. */
export const canStartProcesses: boolean = granted({ name: "run" }) && granted({ name: "env" }) &&
  granted({ name: "write", path: "./.data" }) && granted({ name: "read", path: "." });

/** A broker of a test's own, which can be stopped and started again on the same data. */
export interface OwnBroker extends AsyncDisposable {
  readonly bootstrap: string;
  readonly log: RecentLines;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** Starts a single-node broker on `port` (controller on `port + 1`) with a fresh data directory. */
export async function startOwnBroker(port: number): Promise<OwnBroker> {
  const java = javaCommand(Deno.env.get("JAVA_HOME"));
  const install = await installKafka({
    pomPath: "tasks/kafka/pom.xml",
    cacheDir: Deno.env.get("KAFKA_CACHE_DIR") || ".cache/kafka",
    java,
    log: () => {},
  });
  const dataDir = `.data/test/broker-${port}-${crypto.randomUUID().slice(0, 8)}`;
  const log = new RecentLines(40);
  const options = {
    java,
    libsDir: install.libsDir,
    dataDir,
    port,
    controllerPort: port + 1,
    heap: "512m",
    log: (line: string) => log.push(line),
  };
  let running: RunningBroker | undefined = await startBroker(options);
  return {
    bootstrap: running.bootstrap,
    log,
    async stop() {
      await running?.stop();
      running = undefined;
    },
    async start() {
      running ??= await startBroker(options);
    },
    async [Symbol.asyncDispose]() {
      await running?.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}

/** A service of a test's own, run through its `deno task` like `up` does. */
export interface OwnService extends AsyncDisposable {
  readonly url: string;
  readonly log: RecentLines;
  readonly status: Promise<Deno.CommandStatus>;
  kill(signal?: Deno.Signal): void;
}

/** Starts `deno task <name>` with `env`; resolves once `GET /health` at `url` answers 200. */
export async function startOwnService(
  name: string,
  options: { env: Record<string, string>; url: string },
): Promise<OwnService> {
  const { env, url } = options;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", name],
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const log = new RecentLines(60);
  const output = Promise.all([
    forEachLine(child.stdout, (line) => log.push(line)),
    forEachLine(child.stderr, (line) => log.push(line)),
  ]);
  const status = output.then(() => child.status);
  const service: OwnService = {
    url,
    log,
    status,
    kill: (signal = "SIGTERM") => child.kill(signal),
    async [Symbol.asyncDispose]() {
      await stopProcess(child, { timeoutMs: 10_000, status });
    },
  };
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const answer = await fetch(`${url}/health`).catch(() => undefined);
    await answer?.body?.cancel();
    if (answer?.status === 200) return service;
    const exited = await Promise.race([
      status.then(() => true),
      new Promise((resolve) => setTimeout(() => resolve(false), 100)),
    ]);
    if (exited) throw new Error(`${name} exited during start-up:\n${log}`);
  }
  await service[Symbol.asyncDispose]();
  throw new Error(`${name} did not become healthy within 30 s:\n${log}`);
}
