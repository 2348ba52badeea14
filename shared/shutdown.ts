/**
 * Graceful shutdown on SIGINT, SIGTERM or SIGHUP.
 * @module
 */
import type { Logger } from "./log.ts";
import { listenForStop } from "./stop_signals.ts";

/**
 * Runs `stop` once on the first stop signal; resolves with the exit code the entry point should
 * exit with: 0 once stopped, 1 if `stop` threw. The same signal delivered twice (to a process
 * group, and forwarded by `deno task`) counts once; a real second signal while stopping resolves
 * 1 at once, so a stuck shutdown can still be interrupted.
 */
export function onShutdownSignal(stop: () => Promise<void>, logger: Logger): Promise<number> {
  return new Promise((resolve) => {
    listenForStop({
      onStop: async (signal) => {
        logger.info("stopping", { signal });
        try {
          await stop();
          logger.info("stopped");
          resolve(0);
        } catch (error) {
          logger.error("shutdown failed", { error });
          resolve(1);
        }
      },
      onForce: (signal) => {
        logger.warn("second signal while stopping, exiting now", { signal });
        resolve(1);
      },
    });
  });
}
