/**
 * Graceful shutdown on SIGINT, SIGTERM or SIGHUP.
 * @module
 */
import type { Logger } from "./log.ts";
import { listenForStop } from "./stop_signals.ts";

/**
 * Runs `stop` once on the first stop signal, then exits 0 (1 if `stop` threw). The same signal
 * delivered twice (to a process group, and forwarded by `deno task`) counts once; a real second
 * signal while stopping exits at once, so a stuck shutdown can still be interrupted.
 */
export function onShutdownSignal(stop: () => Promise<void>, logger: Logger): void {
  listenForStop({
    onStop: async (signal) => {
      logger.info("stopping", { signal });
      try {
        await stop();
        logger.info("stopped");
        Deno.exit(0);
      } catch (error) {
        logger.error("shutdown failed", { error });
        Deno.exit(1);
      }
    },
    onForce: (signal) => {
      logger.warn("second signal while stopping, exiting now", { signal });
      Deno.exit(1);
    },
  });
}
