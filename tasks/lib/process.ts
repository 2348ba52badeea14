/** Stopping child processes politely, then firmly. */

/** Options for {@linkcode stopProcess}. */
export interface StopOptions {
  timeoutMs: number;
  /** The child's status, if something else already awaits it (e.g. after draining its output). */
  status?: Promise<Deno.CommandStatus>;
  signal?: Deno.Signal;
}

/** Sends SIGTERM (or `signal`), waits up to `timeoutMs`, then SIGKILLs; resolves with the exit status. */
export async function stopProcess(
  child: Deno.ChildProcess,
  options: StopOptions,
): Promise<Deno.CommandStatus> {
  const status = options.status ?? child.status;
  try {
    child.kill(options.signal ?? "SIGTERM");
  } catch {
    return await status; // already exited
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((resolve) =>
    timer = setTimeout(() => resolve("timeout"), options.timeoutMs)
  );
  const result = await Promise.race([status, timedOut]);
  clearTimeout(timer);
  if (result !== "timeout") return result;
  try {
    child.kill("SIGKILL");
  } catch {
    // exited between the timeout and the kill
  }
  return await status;
}
