/**
 * CPU time of processes and of the whole machine, from /proc: what a benchmark step cost, so a
 * rate the machine cannot reach shows where its cores went.
 * @module
 */

// Linux reports CPU time in clock ticks of USER_HZ, 100 a second on every architecture it runs
// on (the kernel's HZ may differ; what it exports to user space does not).
const TICKS_PER_SECOND = 100;

/** User plus system CPU seconds in a /proc/<pid>/stat line. */
export function cpuSecondsOfStat(stat: string): number {
  // Field 2 (the command) is in parentheses and may hold spaces: count fields after its end.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).trim().split(/\s+/);
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) {
    throw new Error(`Not a /proc/<pid>/stat line: ${stat.slice(0, 80)}`);
  }
  return (utime + stime) / TICKS_PER_SECOND;
}

/** Busy CPU seconds of all cores together, from the first line of /proc/stat. */
export function busySecondsOfMachine(procStat: string): number {
  const line = procStat.split("\n").find((candidate) => candidate.startsWith("cpu "));
  if (line === undefined) throw new Error("No cpu line in /proc/stat");
  // user nice system idle iowait irq softirq steal ...: busy is all but idle and iowait.
  const [user, nice, system, _idle, _iowait, irq, softirq, steal] = line.trim().split(/\s+/)
    .slice(1).map(Number);
  return [user, nice, system, irq, softirq, steal].reduce((sum, ticks) => sum! + (ticks ?? 0), 0)! /
    TICKS_PER_SECOND;
}

// Read with `cat`: Deno grants reads under /proc only to --allow-all, and the benchmarks already
// may run subprocesses.
async function readProc(path: string): Promise<string | undefined> {
  const { success, stdout } = await new Deno.Command("cat", {
    args: [path],
    stdout: "piped",
    stderr: "null",
  }).output();
  return success ? new TextDecoder().decode(stdout) : undefined;
}

/** CPU seconds used so far by process `pid`, or undefined if it is gone. */
export async function cpuSecondsOf(pid: number): Promise<number | undefined> {
  const stat = await readProc(`/proc/${pid}/stat`);
  return stat === undefined ? undefined : cpuSecondsOfStat(stat);
}

/** Busy CPU seconds of the machine so far, all cores together. */
export async function machineBusySeconds(): Promise<number> {
  const stat = await readProc("/proc/stat");
  if (stat === undefined) throw new Error("Cannot read /proc/stat");
  return busySecondsOfMachine(stat);
}
