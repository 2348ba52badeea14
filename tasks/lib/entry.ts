/** What every task that starts processes of its own does when asked to stop. */
import { listenForStop } from "@campus/shared/stop_signals";

/**
 * On Ctrl-C, SIGTERM, SIGHUP or the death of its parent, `name` exits 130 at once. Its children
 * (started with `spawnChild`) stop themselves when their lifelines close, so there is nothing to
 * wait for here; a `deno task` wrapper killed with SIGKILL no longer leaves this task running.
 */
export function exitOnStopRequest(name: string): void {
  listenForStop({
    onStop: (reason) => {
      console.error(`${name} | ${reason}: stopping; everything it started stops with it.`);
      Deno.exit(130);
    },
    watchParent: true,
  });
}
