/**
 * Child processes that never outlive the process that started them.
 *
 * Each child runs in a process group of its own (so a terminal's Ctrl-C reaches only its
 * supervisor, which stops things in order) behind a **lifeline**: its standard input is a pipe whose
 * only writer is the supervisor. However the supervisor ends (Ctrl-C, SIGTERM, SIGHUP, even
 * SIGKILL), the kernel closes that pipe; a small watcher in the child's group sees end of file,
 * sends SIGTERM to the whole group and SIGKILL after a grace period. This works for any program,
 * including the JVM broker, which never reads its standard input, and needs nothing but `sh`.
 * @module
 */
import { forEachLine } from "./lines.ts";

/**
 * The lifeline, as `sh -c LIFELINE lifeline GRACE_SECONDS COMMAND [ARGS...]`. The watcher is a
 * background subshell that holds the pipe (fd 3), forked twice so that it is no child of COMMAND
 * (whose children some callers inspect); the shell then becomes COMMAND (`exec`), so the pid the
 * supervisor knows is COMMAND's and so is the exit status. `$$` in the subshell is that pid. The watcher ignores the signals it sends its own group, and sweeps the group with SIGKILL
 * once COMMAND is gone or the grace period is over, so nothing COMMAND started is left behind. It
 * holds none of COMMAND's output pipes, so their end of file tells when COMMAND is done.
 */
const LIFELINE = `
grace_ticks=$(( $1 * 5 )); shift
exec 3<&0
( (
  trap '' INT TERM HUP
  while read -r _ <&3; do :; done
  kill -TERM 0 2>/dev/null
  while [ "$grace_ticks" -gt 0 ] && kill -0 $$ 2>/dev/null; do
    sleep 0.2; grace_ticks=$(( grace_ticks - 1 ))
  done
  kill -KILL 0
) >/dev/null 2>&1 & )
exec 3<&-
exec "$@" </dev/null
`;

/** Options of {@linkcode spawnChild}. */
export interface ChildOptions {
  args?: string[];
  /** Added to the inherited environment. */
  env?: Record<string, string>;
  /** Every line the child prints, on stdout or stderr. */
  onLine?: (line: string) => void;
  /** How long the child may take to stop after SIGTERM before it is killed. */
  graceMs: number;
}

/** A running child in its own process group. */
export interface Child extends AsyncDisposable {
  /** The child's pid, which is also its process group id. */
  readonly pid: number;
  /** Resolves once the child exited and all its output was read. */
  readonly status: Promise<Deno.CommandStatus>;
  /**
   * Sends `signal` (default SIGTERM) to the child's whole group, waits up to the grace period,
   * then kills the group; resolves with the child's exit status.
   */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
  /** Sends `signal` to every process of the child's group at once (default SIGKILL). */
  kill(signal?: Deno.Signal): void;
}

/** Sends `signal` to process group `pgid`; false if the group no longer exists. */
export function signalGroup(pgid: number, signal: Deno.Signal): boolean {
  try {
    Deno.kill(-pgid, signal);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Longest grace period, so the shell's arithmetic always sees a small whole number. */
const MAX_GRACE_SECONDS = 3_600;
/** After a SIGKILL, how long to wait for the output to end (a stray could hold the pipes). */
const DRAIN_AFTER_KILL_MS = 5_000;

/** Starts `command` behind a lifeline, in its own process group. */
export function spawnChild(command: string, options: ChildOptions): Child {
  const graceSeconds = Number.isFinite(options.graceMs)
    ? Math.min(MAX_GRACE_SECONDS, Math.max(1, Math.ceil(options.graceMs / 1000)))
    : MAX_GRACE_SECONDS;
  const process = new Deno.Command("sh", {
    args: ["-c", LIFELINE, "lifeline", String(graceSeconds), command, ...(options.args ?? [])],
    env: options.env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    detached: true,
  }).spawn();
  const lifeline = process.stdin.getWriter();
  const onLine = options.onLine ?? (() => {});
  const output = Promise.all([
    forEachLine(process.stdout, onLine),
    forEachLine(process.stderr, onLine),
  ]);
  output.catch(() => {}); // a failing onLine must not become an unhandled rejection
  // Once the child is reaped its group id may be reused: never signal it after that.
  let exited = false;
  const exitStatus = process.status.then(async (result) => {
    exited = true;
    // The child is gone: cutting the lifeline makes the watcher sweep whatever it left behind
    // (which may still hold the output pipes).
    await lifeline.close().catch(() => {});
    return result;
  });
  const status = exitStatus.then(async (result) => {
    await output.catch(() => {});
    return result;
  });
  const signal = (name: Deno.Signal) => !exited && signalGroup(process.pid, name);

  async function stop(name: Deno.Signal = "SIGTERM"): Promise<Deno.CommandStatus> {
    if (!signal(name)) return await status;
    const result = await Promise.race([status, delay(options.graceMs)]);
    if (result !== undefined) return result;
    signal("SIGKILL");
    const killed = await exitStatus;
    return await Promise.race([status, delay(DRAIN_AFTER_KILL_MS).then(() => killed)]);
  }

  return {
    pid: process.pid,
    status,
    stop,
    kill: (name = "SIGKILL") => void signal(name),
    async [Symbol.asyncDispose]() {
      await stop();
    },
  };
}

function delay(ms: number): Promise<undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    Deno.unrefTimer(timer);
  });
}
