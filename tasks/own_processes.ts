/**
 * Brokers and services that a test or benchmark owns: started fresh on ports of their own, so they
 * can be stopped and killed without touching a running stack.
 * @module
 */
import { installKafka } from "./kafka/install.ts";
import { type RunningBroker, startBroker } from "./kafka/broker.ts";
import { spawnChild } from "./lib/child.ts";
import { RecentLines } from "./lib/lines.ts";
import { javaCommand } from "./lib/tools.ts";
import { poll } from "@campus/shared/timing";

/** A broker of a test's own, which can be stopped and started again on the same data. */
export interface OwnBroker extends AsyncDisposable {
  readonly bootstrap: string;
  /** Its data directory, emptied at start and removed on dispose. */
  readonly dataDir: string;
  readonly log: RecentLines;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Sends `signal` to the broker's JVM, e.g. SIGSTOP to make it hang without refusing. */
  signal(signal: Deno.Signal): void;
  /** `kill -9` of the JVM, as a crash or power loss; resolves once it is gone. */
  kill(): Promise<void>;
}

/** Starts a single-node broker on `port` (controller on `port + 1`) with a fresh data directory. */
export async function startOwnBroker(
  port: number,
  options: {
    onLine?: (line: string) => void;
    /** The JVM exited although nobody stopped or killed it (a crash). */
    onUnexpectedExit?: (status: Deno.CommandStatus, lastLines: string) => void;
  } = {},
): Promise<OwnBroker> {
  const java = javaCommand(Deno.env.get("JAVA_HOME"));
  const install = await installKafka({
    pomPath: "tasks/kafka/pom.xml",
    cacheDir: Deno.env.get("KAFKA_CACHE_DIR") || ".cache/kafka",
    java,
    log: () => {},
  });
  // One directory per port, emptied first: a run that was killed cannot leave data behind for long.
  const dataDir = `.data/own/broker-${port}`;
  await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  const log = new RecentLines(40);
  const brokerOptions = {
    java,
    libsDir: install.libsDir,
    dataDir,
    port,
    controllerPort: port + 1,
    heap: "512m",
    log: (line: string) => {
      log.push(line);
      options.onLine?.(line);
    },
  };
  let running: RunningBroker | undefined;
  /** Brokers being stopped or killed on purpose: their exit is no crash. */
  const leaving = new Set<RunningBroker>();
  const launch = async () => {
    const broker = await startBroker(brokerOptions);
    broker.child.status.then((status) => {
      if (leaving.has(broker)) return;
      if (running === broker) running = undefined;
      options.onUnexpectedExit?.(status, log.toString());
    });
    return broker;
  };
  const take = () => {
    const broker = running;
    running = undefined;
    if (broker) leaving.add(broker);
    return broker;
  };
  running = await launch();
  return {
    bootstrap: running.bootstrap,
    dataDir,
    log,
    async stop() {
      await take()?.stop();
    },
    async start() {
      running ??= await launch();
    },
    signal(signal) {
      if (!running) throw new Error("The broker is not running");
      Deno.kill(running.child.pid, signal);
    },
    async kill() {
      const broker = take();
      if (!broker) return;
      broker.child.kill("SIGKILL");
      await broker.child.status;
    },
    async [Symbol.asyncDispose]() {
      await take()?.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}

/** A service of a test's own, run through its `deno task` like `up` does. */
export interface OwnService extends AsyncDisposable {
  readonly url: string;
  readonly log: RecentLines;
  readonly status: Promise<Deno.CommandStatus>;
  /** Process id of `deno task`; the service itself is its child. */
  readonly pid: number;
  /** Sends `signal` to the service and its `deno task` wrapper (their process group). */
  kill(signal?: Deno.Signal): void;
  /** Sends `signal` to the service process itself (`deno task` runs it as a child), e.g. SIGKILL. */
  killService(signal: Deno.Signal): Promise<void>;
}

/** Starts `deno task <name>` with `env`; resolves once `GET /health` at `url` answers 200. */
export async function startOwnService(
  name: string,
  options: { env: Record<string, string>; url: string; onLine?: (line: string) => void },
): Promise<OwnService> {
  const { env, url } = options;
  const log = new RecentLines(60);
  const child = spawnChild(Deno.execPath(), {
    args: ["task", "--quiet", name],
    env: { NO_COLOR: "1", ...env },
    onLine: (line) => {
      log.push(line);
      options.onLine?.(line);
    },
    graceMs: 10_000,
  });
  const { status } = child;
  const service: OwnService = {
    url,
    log,
    status,
    pid: child.pid,
    kill: (signal = "SIGTERM") => child.kill(signal),
    async killService(signal) {
      // Read through `cat`: Deno allows reading /proc only with --allow-all.
      const output = await new Deno.Command("cat", {
        args: [`/proc/${child.pid}/task/${child.pid}/children`],
        stdout: "piped",
      }).output();
      const pids = new TextDecoder().decode(output.stdout).trim().split(/\s+/).filter(Boolean);
      // Nothing to signal would make a pause or a kill silently do nothing.
      if (pids.length === 0) throw new Error(`${name} has no process to send ${signal} to`);
      for (const pid of pids) Deno.kill(Number(pid), signal);
    },
    async [Symbol.asyncDispose]() {
      await child.stop();
    },
  };
  let exited = false;
  status.then(() => exited = true);
  try {
    await poll(`${name} to answer GET /health`, async () => {
      if (exited) throw new ServiceExited(`${name} exited during start-up:\n${log}`);
      const answer = await fetch(`${url}/health`);
      await answer.body?.cancel();
      return answer.status === 200 || undefined;
    }, { timeoutMs: 30_000, isFatal: (error) => error instanceof ServiceExited });
    return service;
  } catch (error) {
    await service[Symbol.asyncDispose]();
    throw error instanceof ServiceExited ? error : new Error(`${error}\n${log}`);
  }
}

class ServiceExited extends Error {
  override name = "ServiceExited";
}
