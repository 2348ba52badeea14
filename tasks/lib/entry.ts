/** What every task that starts processes of its own does when asked to stop. */
import { listenForStop } from "@campus/shared/stop_signals";

/**
 * Calls `stop` on Ctrl-C, SIGTERM, SIGHUP or the death of the task's parent, after saying so.
 * A task's children (started with `spawnChild`) stop themselves when their lifelines close, so
 * the entry point can exit at once (130, as after Ctrl-C); a `deno task` wrapper killed with
 * SIGKILL then no longer leaves the task running.
 *
 * @example
 * ```ts
 * onStopRequest("bench", () => Deno.exit(130));
 * ```
 */
export function onStopRequest(name: string, stop: () => void): void {
  listenForStop({
    onStop: (reason) => {
      console.error(`${name} | ${reason}: stopping; everything it started stops with it.`);
      stop();
    },
    watchParent: true,
  });
}
