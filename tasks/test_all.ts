/**
 * `deno task test`: static checks and unit tests, then a stack of its own (broker and services
 * through `deno task up`, on ports and a data directory no user stack uses), the integration tests
 * against it, and a clean stop, whatever happened. Ends with one line `N passed, N failed`.
 */
import { spawnChild } from "./lib/child.ts";
import { onStopRequest } from "./lib/entry.ts";
import { RecentLines } from "./lib/lines.ts";
import { isPortInUse } from "./lib/ports.ts";
import { EXIT_NO_ENGINE } from "./compose/engine.ts";

/** Ports and data of the test stack: far from the defaults (9092, 5001-5003) so both can run. */
export const TEST_STACK = {
  KAFKA_PORT: "19092",
  KAFKA_CONTROLLER_PORT: "19093",
  KAFKA_DATA_DIR: ".data/test/kafka",
  PRODUCER_PORT: "15001",
  INVENTORY_PORT: "15002",
  ANALYTICS_PORT: "15003",
  HOST: "127.0.0.1",
};

const deno = Deno.execPath();
let passed = 0;
let failed = 0;
/** Tests not run (Deno's "ignored", a stage this machine cannot run): never counted as passed. */
let skipped = 0;

function heading(text: string): void {
  console.log(`\n=== ${text} ===`);
}

/** Runs a command with output streamed through; returns its status and the text it printed. */
async function run(
  args: string[],
  env: Record<string, string> = {},
  graceMs = 10_000,
): Promise<{ ok: boolean; code: number; text: string }> {
  const lines: string[] = [];
  const child = spawnChild(deno, {
    args,
    env: { NO_COLOR: "1", ...env },
    onLine: (line) => {
      lines.push(line);
      console.log(line);
    },
    graceMs,
  });
  const status = await child.status;
  return { ok: status.success, code: status.code, text: lines.join("\n") };
}

/** A check that passes or fails as a whole (formatting, lint, types). */
async function check(name: string, args: string[]): Promise<void> {
  heading(name);
  const { ok } = await run(args);
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? "ok" : "FAILED"}: ${name}`);
}

/** Adds the counts of the last `deno test` summary in `text`; its failures, or undefined. */
function addTestCounts(text: string): number | undefined {
  const summary = [
    ...text.matchAll(
      /(\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed(?: \(\d+ steps?\))?(?: \| (\d+) ignored)?/g,
    ),
  ].at(-1);
  if (!summary) return undefined;
  passed += Number(summary[1]);
  failed += Number(summary[2]);
  skipped += Number(summary[3] ?? 0);
  return Number(summary[2]);
}

/** Runs `deno test` and adds its counts; a run that printed no summary counts as one failure. */
async function denoTest(
  name: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<void> {
  heading(name);
  const { ok, text } = await run(["test", "--no-prompt", ...args], env);
  const failures = addTestCounts(text);
  if (failures === undefined) {
    failed++;
    console.log(`FAILED: ${name} printed no summary`);
  } else if (!ok && failures === 0) failed++; // exited non-zero for another reason
}

/**
 * `deno task compose:test`: the four experiments against compose.yaml in containers. On a machine
 * without a Docker engine or Compose v2 it is reported as skipped, never as passed.
 */
async function composeTest(): Promise<void> {
  heading("compose test: the four experiments against compose.yaml (deno task compose:test)");
  // Stopped early, it takes its containers down first (up to about a minute).
  const { ok, code, text } = await run(["task", "--quiet", "compose:test"], {}, 90_000);
  if (code === EXIT_NO_ENGINE) {
    skipped++;
    console.log("SKIPPED (not passed): compose test, this machine cannot run containers (above)");
    return;
  }
  const failures = addTestCounts(text);
  if (failures === undefined) {
    failed++;
    console.log(`FAILED: compose test (exit ${code}) before its experiments ran`);
  } else if (!ok && failures === 0) {
    failed++;
    console.log(`FAILED: compose test exited ${code}`);
  }
}

interface Stack {
  stop(): Promise<Deno.CommandStatus>;
  recent: RecentLines;
}

/** Starts `deno task up` with the test ports; resolves when its banner says all is healthy. */
async function startStack(): Promise<Stack> {
  await Deno.remove(".data/test", { recursive: true }).catch(() => {});
  await Deno.mkdir(".data/test", { recursive: true });
  const log = await Deno.open(".data/test/stack.log", {
    write: true,
    create: true,
    truncate: true,
  });
  const encoder = new TextEncoder();
  // The whole log goes to a file; the last lines are kept to show when something fails.
  const recent = new RecentLines(60);
  let ready!: () => void;
  const healthy = new Promise<void>((resolve) => ready = resolve);
  const child = spawnChild(deno, {
    args: ["task", "--quiet", "up"],
    env: { ...TEST_STACK, NO_COLOR: "1" },
    onLine: (line) => {
      recent.push(line);
      log.writeSync(encoder.encode(line + "\n"));
      if (line.endsWith("| Ctrl-C stops everything.")) ready();
      if (/Fetching Apache Kafka|downloaded|is up in/.test(line)) console.log(line);
    },
    // up stops three services (10 s each at most) and then the broker (30 s at most).
    graceMs: 70_000,
  });
  const status = child.status.finally(() => log.close());
  const stack = {
    recent,
    stop: async () => {
      const result = await child.stop("SIGINT");
      await status;
      return result;
    },
  };
  const outcome = await Promise.race([
    healthy.then(() => "healthy" as const),
    status.then(() => "exited" as const),
    new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), 300_000)),
  ]);
  if (outcome !== "healthy") {
    await stack.stop();
    throw new Error(
      `The test stack did not become healthy (${outcome}). Its last lines:\n${recent}`,
    );
  }
  return stack;
}

async function main(): Promise<void> {
  onStopRequest("test", () => Deno.exit(130));
  await check("formatting (deno fmt --check)", ["fmt", "--check"]);
  await check("lint (deno lint)", ["lint"]);
  await check("types (deno check)", ["check"]);
  // Env access only so that the few unit tests of kafkajs wiring can load kafkajs (it reads env).
  // gc() exposed so that the tests of bounded structures can measure the heap after collection.
  await denoTest("unit tests", [
    "--allow-env",
    // The outbox's store is tested on real SQLite files under .data/unit.
    "--allow-read=./.data",
    "--allow-write=./.data",
    "--v8-flags=--expose-gc",
    "shared/",
    "services/",
    "tasks/",
  ]);

  heading("integration tests: starting a test stack (deno task up on test ports)");
  let stack: Stack | undefined;
  try {
    stack = await startStack();
    const host = TEST_STACK.HOST;
    await denoTest("integration tests", [
      "--allow-net=127.0.0.1,localhost",
      "--allow-env",
      "--allow-run",
      "--allow-read=.",
      "--allow-write=./.data",
      "tests/",
    ], {
      KAFKA_BOOTSTRAP_SERVERS: `127.0.0.1:${TEST_STACK.KAFKA_PORT}`,
      PRODUCER_URL: `http://${host}:${TEST_STACK.PRODUCER_PORT}`,
      INVENTORY_URL: `http://${host}:${TEST_STACK.INVENTORY_PORT}`,
      ANALYTICS_URL: `http://${host}:${TEST_STACK.ANALYTICS_PORT}`,
    });
  } catch (error) {
    failed++;
    console.log(`FAILED: ${error instanceof Error ? error.message : error}`);
  } finally {
    if (stack) {
      heading("stopping the test stack with SIGINT (as Ctrl-C does)");
      const status = await stack.stop();
      const ports = [
        TEST_STACK.KAFKA_PORT,
        TEST_STACK.KAFKA_CONTROLLER_PORT,
        TEST_STACK.PRODUCER_PORT,
      ]
        .concat(TEST_STACK.INVENTORY_PORT, TEST_STACK.ANALYTICS_PORT).map(Number);
      const stillOpen = ports.filter((port) => isPortInUse("127.0.0.1", port));
      if (status.code === 0 && stillOpen.length === 0) {
        passed++;
        console.log("ok: the stack stopped with exit code 0 and released every port");
      } else {
        failed++;
        console.log(
          `FAILED: stack exit ${status.code}, ports still open: ${stillOpen.join(", ") || "none"}`,
        );
        console.log(stack.recent.toString());
      }
    }
  }
  await composeTest();
  console.log(`\n${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`);
  Deno.exit(failed === 0 && passed > 0 ? 0 : 1);
}

if (import.meta.main) await main();
