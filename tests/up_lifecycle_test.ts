/**
 * `deno task up` owns its processes: however it ends, nothing it started survives, and "up"
 * means ready. Each test starts a real `up` (broker and three services) on ports of its own, in a
 * process group of its own as a terminal would, ends it one way, and then looks for every process
 * that carries this run's marker in its environment (the broker, the services, their wrappers):
 * none may remain, and every port must be free.
 */
import assert from "node:assert/strict";
import { isPortInUse } from "../tasks/lib/ports.ts";
import {
  childrenOf,
  markedProcessRunning,
  processesWithMarker,
  startTerminalJob,
  type TerminalJob,
} from "./_processes.ts";
import { canStartProcesses, eventually } from "./_support.ts";

const PORTS = {
  KAFKA_PORT: "17092",
  KAFKA_CONTROLLER_PORT: "17093",
  PRODUCER_PORT: "17001",
  INVENTORY_PORT: "17002",
  ANALYTICS_PORT: "17003",
};
/** Services stop within 10 s each after SIGTERM, the broker within 30 s: all of it within this. */
const GONE_WITHIN_MS = 60_000;

/** A running `deno task up`, in its own process group like a terminal's foreground job. */
interface UpUnderTest extends TerminalJob {
  /** The `deno run tasks/up.ts` process, child of the wrapper. */
  upPid: number;
}

function portsInUse(): string[] {
  return Object.values(PORTS).filter((port) => isPortInUse("127.0.0.1", Number(port)));
}

async function startUp(dataDir = ".data/lifecycle/kafka"): Promise<UpUnderTest> {
  const job = startTerminalJob("up", {
    ...PORTS,
    // Empty means unset: this run starts a broker of its own, whatever cluster the suite uses.
    KAFKA_BOOTSTRAP_SERVERS: "",
    KAFKA_DATA_DIR: dataDir,
  });
  const { lines } = job;
  try {
    await eventually("the up banner", () => {
      if (lines.some((line) => line.endsWith("| Ctrl-C stops everything."))) return true;
      if (lines.some((line) => /Start-up failed|Cannot start/.test(line))) {
        throw new Error("up did not start");
      }
      return undefined;
    }, { timeoutMs: 120_000, lastSeen: () => lines.slice(-15) });
    const [upPid] = await childrenOf(job.wrapperPid);
    assert.ok(upPid, "deno task runs up as its child");
    return Object.assign(job, { upPid });
  } catch (error) {
    await job[Symbol.asyncDispose]();
    throw new Error(`${error}\n${lines.slice(-40).join("\n")}`);
  }
}

/** Waits until no process of the run is left and every port is free; returns the time taken. */
async function assertAllGone(run: UpUnderTest): Promise<number> {
  const started = performance.now();
  let left: number[] = [];
  await eventually("every process of the run gone and every port free", async () => {
    left = await processesWithMarker(run.marker);
    return left.length === 0 && portsInUse().length === 0 ? true : undefined;
  }, {
    timeoutMs: GONE_WITHIN_MS,
    intervalMs: 250,
    lastSeen: () => ({ processes: left, ports: portsInUse(), log: run.lines.slice(-20) }),
  });
  return performance.now() - started;
}

const ignore = !canStartProcesses;

/** Sends `count` orders at once to the producer of a run; returns the answers that were not 202. */
async function ordersNotAccepted(count: number, first = 0): Promise<string[]> {
  const answers = await Promise.all(Array.from({ length: count }, async (_, index) => {
    const response = await fetch(`http://127.0.0.1:${PORTS.PRODUCER_PORT}/order`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ user_id: `lifecycle-${first + index}`, item: "pizza", quantity: 1 }),
    });
    return `${response.status} ${await response.text()}`;
  }));
  return answers.filter((answer) => !answer.startsWith("202 "));
}

Deno.test({
  name: "up: 50 orders the moment it is ready are all 202; start, orders, Ctrl-C log no WARN/ERROR",
  ignore,
}, async () => {
  // A first start on fresh data, then a restart on the data it left: both are normal starts.
  const dataDir = ".data/lifecycle/clean";
  await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  for (const start of ["first start", "restart"]) {
    await using run = await startUp(dataDir);
    assert.deepEqual(await ordersNotAccepted(50), [], `${start}: orders at the banner all 202`);
    for (let index = 50; index < 100; index += 10) {
      assert.deepEqual(await ordersNotAccepted(10, index), [], `${start}: later orders all 202`);
    }
    Deno.kill(-run.wrapperPid, "SIGINT"); // Ctrl-C: the terminal signals the foreground group
    const status = await run.status;
    assert.equal(status.code, 0, run.lines.slice(-20).join("\n"));
    await assertAllGone(run);
    const noisy = run.lines.filter((line) => /\b(WARN|WARNING|ERROR|FATAL)\b/i.test(line));
    assert.deepEqual(noisy, [], `${start}: start, 100 orders and Ctrl-C print no WARN or ERROR`);
    assert.ok(run.lines.some((line) => line.endsWith("| All stopped.")));
  }
});

/** Each way of ending `up` that is not a Ctrl-C: what is sent, and to whom. */
const ENDINGS: Array<{ name: string; end(run: UpUnderTest): void; exitsZero: boolean }> = [
  {
    name: "SIGTERM to up alone",
    end: (run) => Deno.kill(run.upPid, "SIGTERM"),
    exitsZero: true,
  },
  {
    // What timeout(1), CI runners and process managers do; deno task forwards it once more.
    name: "SIGTERM to its whole process group",
    end: (run) => Deno.kill(-run.wrapperPid, "SIGTERM"),
    exitsZero: true,
  },
  {
    name: "SIGHUP to its process group (the terminal closed)",
    end: (run) => Deno.kill(-run.wrapperPid, "SIGHUP"),
    exitsZero: false, // the wrapper dies of SIGHUP itself
  },
  {
    name: "SIGKILL of up",
    end: (run) => Deno.kill(run.upPid, "SIGKILL"),
    exitsZero: false,
  },
  {
    name: "SIGKILL of its deno task wrapper",
    end: (run) => Deno.kill(run.wrapperPid, "SIGKILL"),
    exitsZero: false,
  },
];

for (const ending of ENDINGS) {
  Deno.test(
    { name: `up: after ${ending.name}, no process of the run remains`, ignore },
    async () => {
      await using run = await startUp();
      ending.end(run);
      const seconds = (await assertAllGone(run)) / 1000;
      console.log(`${ending.name}: everything gone ${seconds.toFixed(1)} s after the signal`);
      const status = await run.status;
      if (ending.exitsZero) assert.equal(status.code, 0, run.lines.slice(-20).join("\n"));
    },
  );
}

Deno.test({
  name: "up: a real second Ctrl-C kills the real processes at once, not only their wrappers",
  ignore,
}, async () => {
  await using run = await startUp();
  // A stuck service makes the graceful stop wait for its 10 s grace period: that is what a
  // second Ctrl-C is for. A stopped process still dies of SIGKILL.
  const producer = await markedProcessRunning(run.marker, "services/producer/main.ts");
  Deno.kill(producer, "SIGSTOP");
  Deno.kill(-run.wrapperPid, "SIGINT");
  await eventually(
    "the first Ctrl-C taken",
    () => run.lines.some((line) => line.includes("SIGINT received")) ? true : undefined,
  );
  // A person's second press comes later than the group's echo of the first (within 1 s).
  await new Promise((resolve) => setTimeout(resolve, 1_200));
  const forcedAt = performance.now();
  Deno.kill(-run.wrapperPid, "SIGINT");
  await assertAllGone(run);
  const seconds = (performance.now() - forcedAt) / 1000;
  assert.ok(
    run.lines.some((line) => line.includes("SIGINT again: killing everything now")),
    run.lines.slice(-20).join("\n"),
  );
  assert.ok(seconds < 5, `a forced stop took ${seconds.toFixed(1)} s`);
  assert.equal((await run.status).code, 130);
});
