/**
 * Finding the processes a test started, however deep: each run puts a marker of its own in the
 * environment of what it starts, and every descendant inherits it (the JVM included).
 * @module
 */

import { forEachLine } from "../tasks/lib/lines.ts";

/** The variable that carries a run's marker. */
export const MARKER_VARIABLE = "OWNED_PROCESS_MARKER";

/** Child pids of `pid`. */
export async function childrenOf(pid: number): Promise<number[]> {
  // Read through `cat`: Deno allows reading /proc only with --allow-all.
  const output = await new Deno.Command("cat", {
    args: [`/proc/${pid}/task/${pid}/children`],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(output.stdout).trim().split(/\s+/).filter(Boolean).map(Number);
}

/** Live processes whose environment holds `marker` (zombies have no environment left). */
export async function processesWithMarker(marker: string): Promise<number[]> {
  const output = await new Deno.Command("sh", {
    args: ["-c", `grep -lzsx '${MARKER_VARIABLE}=${marker}' /proc/[0-9]*/environ || true`],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(output.stdout).split("\n").filter(Boolean)
    .map((path) => Number(path.split("/")[2]));
}

/** The pid of the marked process whose command line contains `fragment`. */
export async function markedProcessRunning(marker: string, fragment: string): Promise<number> {
  const pids = new Set(await processesWithMarker(marker));
  const output = await new Deno.Command("ps", { args: ["-eo", "pid=,args="], stdout: "piped" })
    .output();
  for (const line of new TextDecoder().decode(output.stdout).split("\n")) {
    const [, pid, args] = line.match(/^\s*(\d+) (.*)$/) ?? [];
    if (pid && args?.includes(fragment) && pids.has(Number(pid))) return Number(pid);
  }
  throw new Error(`No process of the run runs ${fragment}`);
}

/** `deno task <task>` started as a terminal starts a foreground job: in a process group of its own. */
export interface TerminalJob extends AsyncDisposable {
  /** In the environment of the task and of everything it starts. */
  readonly marker: string;
  /** The `deno task` wrapper; its pid is also the group id. */
  readonly wrapperPid: number;
  /** Everything the job printed so far. */
  readonly lines: string[];
  readonly status: Promise<Deno.CommandStatus>;
}

/**
 * Starts `deno task <task> [args]` with `env` and a marker of its own. Disposing it SIGKILLs every
 * process that carries the marker, whatever the test did: nothing is left for the next test.
 */
export function startTerminalJob(
  task: string,
  env: Record<string, string>,
  args: readonly string[] = [],
): TerminalJob {
  const marker = crypto.randomUUID();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", task, ...args],
    env: { NO_COLOR: "1", ...env, [MARKER_VARIABLE]: marker },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    detached: true,
  }).spawn();
  const lines: string[] = [];
  const output = Promise.all([
    forEachLine(child.stdout, (line) => lines.push(line)),
    forEachLine(child.stderr, (line) => lines.push(line)),
  ]);
  const status = output.then(() => child.status);
  return {
    marker,
    wrapperPid: child.pid,
    lines,
    status,
    async [Symbol.asyncDispose]() {
      for (const pid of await processesWithMarker(marker)) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch { /* already gone */ }
      }
      await status;
    },
  };
}
