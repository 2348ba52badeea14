/**
 * Requests to stop: SIGINT (Ctrl-C), SIGTERM (kill, timeout, process managers), SIGHUP (the
 * terminal closed) and, optionally, the parent process going away.
 *
 * One request can arrive as two signals: a signal sent to a whole process group reaches a
 * `deno task` wrapper and its child, and the wrapper forwards it to the child once more. So a
 * signal within `repeatWithinMs` of the previous one counts as the same request; a later one is
 * a real second request ("stop now").
 * @module
 */

/** The signals that ask a process to stop. */
export const STOP_SIGNALS: readonly Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** Options of {@linkcode listenForStop}. */
export interface StopListenerOptions {
  /** The first request, with what caused it ("SIGTERM", "parent exited"). */
  onStop(reason: string): void;
  /** A second request while stopping. */
  onForce?(reason: string): void;
  /** Signals closer together than this count as one request. */
  repeatWithinMs?: number;
  /** Also stop when the parent process exits (polled; for entry points run by a person). */
  watchParent?: boolean;
  /** The clock, for tests. */
  now?: () => number;
}

/** Installed stop listeners; disposing removes them. */
export interface StopListener extends Disposable {
  /** Handles one request as a signal would (also what the listeners call). */
  request(reason: string): void;
}

/** Calls `onStop` on the first stop request and `onForce` on each real later one. */
export function listenForStop(options: StopListenerOptions): StopListener {
  const repeatWithinMs = options.repeatWithinMs ?? 1_000;
  const now = options.now ?? (() => performance.now());
  let lastAt: number | undefined;
  const request = (reason: string) => {
    const at = now();
    // An echo does not move the window: presses closer together than it still force in time.
    if (lastAt !== undefined && at - lastAt < repeatWithinMs) return;
    const first = lastAt === undefined;
    lastAt = at;
    if (first) options.onStop(reason);
    else options.onForce?.(reason);
  };
  const listeners = STOP_SIGNALS.map((signal) => {
    const listener = () => request(signal);
    Deno.addSignalListener(signal, listener);
    return [signal, listener] as const;
  });
  let parentTimer: ReturnType<typeof setInterval> | undefined;
  if (options.watchParent) {
    // SIGKILL of a `deno task` wrapper leaves its child running with a new parent: notice that.
    const parent = Deno.ppid;
    parentTimer = setInterval(() => {
      if (Deno.ppid === parent) return;
      clearInterval(parentTimer);
      // Only ever a first request: a parent that died of the same signal is not a second one.
      if (lastAt === undefined) request("parent exited");
    }, 500);
    Deno.unrefTimer(parentTimer);
  }
  return {
    request,
    [Symbol.dispose]() {
      for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
      clearInterval(parentTimer);
    },
  };
}
