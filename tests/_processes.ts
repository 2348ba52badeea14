/**
 * Finding the processes a test started, however deep: each run puts a marker of its own in the
 * environment of what it starts, and every descendant inherits it (the JVM included).
 * @module
 */

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
