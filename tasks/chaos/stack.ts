/**
 * The campaign's own stack: a broker and the three services (and, for a while, a second inventory
 * instance) on ports no other stack uses, each of which the nemesis can kill, pause, stop and
 * start again. Every line each process prints goes to `logs/<process>.log` beside the history.
 * @module
 */
import {
  type OwnBroker,
  type OwnService,
  startOwnBroker,
  startOwnService,
} from "../own_processes.ts";
import { isPortInUse } from "../lib/ports.ts";
import { sleep } from "@campus/shared/timing";

/** The processes of the stack. */
export type ProcessName = "broker" | "producer" | "inventory" | "analytics" | "inventory-2";

/** Ports of the chaos stack: its own, so a campaign never touches a running stack. */
export const CHAOS_PORTS = {
  broker: 19792,
  controller: 19793,
  producer: 15701,
  inventory: 15702,
  analytics: 15703,
  "inventory-2": 15712,
} as const;

type ServiceName = Exclude<ProcessName, "broker">;

const TASK_OF: Record<ServiceName, string> = {
  producer: "producer",
  inventory: "inventory",
  analytics: "analytics",
  "inventory-2": "inventory",
};

/** A process that exited without the nemesis asking: a crash, which the campaign reports. */
export interface UnexpectedExit {
  process: ProcessName;
  at: number;
  code: number;
  lastLines: string;
}

const encoder = new TextEncoder();

/** Appends `line` to a log file, stamped with the time. */
function writeLine(file: Deno.FsFile | undefined, line: string): void {
  file?.writeSync(encoder.encode(`${new Date().toISOString()} ${line}\n`));
}

/** Where the stack's services answer. */
export function serviceUrl(name: ServiceName): string {
  return `http://127.0.0.1:${CHAOS_PORTS[name]}`;
}

/** The campaign's broker and services. */
export class ChaosStack implements AsyncDisposable {
  readonly unexpectedExits: UnexpectedExit[];
  #broker: OwnBroker;
  #services = new Map<ServiceName, OwnService>();
  /** Processes being stopped or killed on purpose: their exit is no crash. */
  #leaving = new Set<OwnService>();
  #logs: Map<ProcessName, Deno.FsFile>;
  #env: Record<ServiceName, Record<string, string>>;

  private constructor(
    broker: OwnBroker,
    env: Record<ServiceName, Record<string, string>>,
    logs: Map<ProcessName, Deno.FsFile>,
    unexpectedExits: UnexpectedExit[],
  ) {
    this.unexpectedExits = unexpectedExits;
    this.#broker = broker;
    this.#env = env;
    this.#logs = logs;
  }

  /** Starts the broker, then `ensureTopics`, then producer, inventory and analytics. */
  static async start(options: {
    logDir: string;
    menuFile: string;
    /** The producer's outbox: emptied first, since the broker starts empty too. */
    outboxDir: string;
    ensureTopics: (bootstrap: string) => Promise<void>;
  }): Promise<ChaosStack> {
    const busy = Object.values(CHAOS_PORTS).filter((port) => isPortInUse("127.0.0.1", port));
    if (busy.length > 0) {
      throw new Error(
        `Ports ${busy.join(", ")} are in use: is another chaos run going? Stop it first.`,
      );
    }
    await Deno.mkdir(options.logDir, { recursive: true });
    await Deno.remove(options.outboxDir, { recursive: true }).catch(() => {});
    const logs = new Map<ProcessName, Deno.FsFile>();
    for (const name of Object.keys(TASK_OF).concat("broker") as ProcessName[]) {
      logs.set(
        name,
        await Deno.open(`${options.logDir}/${name}.log`, {
          write: true,
          create: true,
          truncate: true,
        }),
      );
    }
    const crashes: UnexpectedExit[] = [];
    const broker = await startOwnBroker(CHAOS_PORTS.broker, {
      onLine: (line) => writeLine(logs.get("broker"), line),
      onUnexpectedExit: (status, lastLines) =>
        crashes.push({ process: "broker", at: Date.now(), code: status.code, lastLines }),
    });
    await options.ensureTopics(broker.bootstrap);
    const common = {
      KAFKA_BOOTSTRAP_SERVERS: broker.bootstrap,
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
    };
    const inventoryEnv = (name: "inventory" | "inventory-2") => ({
      ...common,
      INVENTORY_PORT: String(CHAOS_PORTS[name]),
      INVENTORY_FILE: options.menuFile,
    });
    const env = {
      producer: {
        ...common,
        PRODUCER_PORT: String(CHAOS_PORTS.producer),
        ORDER_OUTBOX_DIR: options.outboxDir,
      },
      inventory: inventoryEnv("inventory"),
      "inventory-2": inventoryEnv("inventory-2"),
      analytics: { ...common, ANALYTICS_PORT: String(CHAOS_PORTS.analytics) },
    };
    const stack = new ChaosStack(broker, env, logs, crashes);
    try {
      for (const name of ["producer", "inventory", "analytics"] as const) await stack.start(name);
    } catch (error) {
      await stack[Symbol.asyncDispose]();
      throw error;
    }
    return stack;
  }

  /** Notes a line in a process's log, e.g. what the nemesis did to it. */
  note(name: ProcessName, line: string): void {
    writeLine(this.#logs.get(name), `[chaos] ${line}`);
  }

  /** Starts `name` (again); resolves once it answers `GET /health` (the broker: metadata). */
  async start(name: ProcessName): Promise<void> {
    if (name === "broker") return await this.#broker.start();
    if (this.#services.has(name)) return;
    const service = await startOwnService(TASK_OF[name], {
      env: this.#env[name],
      url: serviceUrl(name),
      onLine: (line) => writeLine(this.#logs.get(name), line),
    });
    this.#services.set(name, service);
    service.status.then((status) => {
      if (this.#leaving.has(service)) return;
      if (this.#services.get(name) === service) this.#services.delete(name);
      this.unexpectedExits.push({
        process: name,
        at: Date.now(),
        code: status.code,
        lastLines: service.log.toString(),
      });
    });
  }

  /** A graceful stop: SIGTERM, as an operator or an orchestrator does. */
  async stop(name: ProcessName): Promise<void> {
    if (name === "broker") return await this.#broker.stop();
    const service = this.#take(name);
    await service?.[Symbol.asyncDispose]();
  }

  /** `kill -9`: the process is gone at once, mid-whatever it was doing. */
  async kill(name: ProcessName): Promise<void> {
    if (name === "broker") return await this.#broker.kill();
    const service = this.#take(name);
    if (!service) return;
    await service.killService("SIGKILL");
    // `deno task` exits once its child is gone; if it does not, kill the whole group.
    const gone = await Promise.race([
      service.status.then(() => true),
      sleep(5_000).then(() => false),
    ]);
    if (!gone) {
      service.kill("SIGKILL");
      await service.status;
    }
  }

  /** SIGSTOP (`resume` = SIGCONT): the process hangs; its sockets stay open but nothing answers. */
  async pause(name: ProcessName): Promise<void> {
    await this.#signal(name, "SIGSTOP");
  }

  async resume(name: ProcessName): Promise<void> {
    await this.#signal(name, "SIGCONT");
  }

  async #signal(name: ProcessName, signal: Deno.Signal): Promise<void> {
    if (name === "broker") return this.#broker.signal(signal);
    const service = this.#services.get(name);
    if (!service) throw new Error(`${name} is not running`);
    await service.killService(signal);
  }

  #take(name: ServiceName): OwnService | undefined {
    const service = this.#services.get(name);
    if (!service) return undefined;
    this.#services.delete(name);
    this.#leaving.add(service);
    return service;
  }

  #keepBrokerDataIn: string | undefined;

  /** Keeps the broker's data (topics, transaction state) in `dir` when the stack stops. */
  keepBrokerData(dir: string): void {
    this.#keepBrokerDataIn = dir;
  }

  /** Stops the services, then the broker, and closes the logs. */
  async [Symbol.asyncDispose](): Promise<void> {
    // A paused broker would hold up every service's graceful stop: wake it first.
    try {
      this.#broker.signal("SIGCONT");
    } catch {
      // Not running: nothing to wake.
    }
    for (const name of ["producer", "inventory-2", "inventory", "analytics"] as const) {
      const service = this.#take(name);
      // A paused process cannot stop: wake it first.
      await service?.killService("SIGCONT").catch(() => {});
      await service?.[Symbol.asyncDispose]();
    }
    await this.#broker.stop();
    if (this.#keepBrokerDataIn) {
      await Deno.remove(this.#keepBrokerDataIn, { recursive: true }).catch(() => {});
      await Deno.rename(this.#broker.dataDir, this.#keepBrokerDataIn);
    }
    await this.#broker[Symbol.asyncDispose]();
    for (const log of this.#logs.values()) log.close();
    this.#logs.clear();
  }
}
