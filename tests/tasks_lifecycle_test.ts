/**
 * The test runner and the benchmarks start processes of their own (a stack, brokers, `deno
 * test`); like `up`, they must leave nothing behind however they end. The hardest ending is
 * SIGKILL of the task itself: it cannot clean up, so what it started has to notice on its own.
 */
import assert from "node:assert/strict";
import { isPortInUse } from "../tasks/lib/ports.ts";
import { childrenOf, processesWithMarker, startTerminalJob } from "./_processes.ts";
import { canStartProcesses, eventually } from "./_support.ts";

/** Runs `deno task <task>` as a terminal would; SIGKILLs the task once `started` says so. */
async function killTaskOnceStarted(
  task: string,
  started: (lines: string[]) => boolean,
): Promise<{ marker: string; lines: string[] }> {
  await using job = startTerminalJob(task, {});
  const { marker, lines } = job;
  try {
    await eventually(`${task} started its processes`, () => started(lines) ? true : undefined, {
      timeoutMs: 120_000,
      lastSeen: () => lines.slice(-10),
    });
    const [taskPid] = await childrenOf(job.wrapperPid);
    assert.ok(taskPid, "deno task runs the task as its child");
    Deno.kill(taskPid, "SIGKILL");
    await eventually(
      `every process started by ${task} gone`,
      async () => (await processesWithMarker(marker)).length === 0 ? true : undefined,
      {
        timeoutMs: 60_000,
        intervalMs: 250,
        lastSeen: () => lines.slice(-10),
      },
    );
    return { marker, lines };
  } catch (error) {
    throw new Error(`${error}\n${lines.slice(-20).join("\n")}`);
  }
}

Deno.test({
  name: "bench:analytics killed with SIGKILL leaves no broker or service behind",
  ignore: !canStartProcesses,
}, async () => {
  await killTaskOnceStarted(
    "bench:analytics",
    (lines) => lines.some((line) => line.includes("inventory decisions to")),
  );
  assert.equal(isPortInUse("127.0.0.1", 19592), false, "the bench's broker port is free");
});

Deno.test({
  name: "the test runner killed with SIGKILL leaves no `deno test` behind",
  ignore: !canStartProcesses,
}, async () => {
  const { lines } = await killTaskOnceStarted(
    "test",
    (lines) => lines.some((line) => line.includes("=== unit tests ===")),
  );
  assert.ok(!lines.some((line) => /\d+ passed, \d+ failed/.test(line)), "killed before the end");
});
