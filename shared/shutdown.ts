/**
 * Graceful shutdown on SIGINT/SIGTERM.
 * @module
 */
import type { Logger } from "./log.ts";

/** Signals that end a service. */
const SIGNALS: readonly Deno.Signal[] = ["SIGINT", "SIGTERM"];

/**
 * Runs `stop` once on the first SIGINT or SIGTERM, then exits 0 (1 if `stop` threw).
 * A second signal while stopping exits at once, so a stuck shutdown can still be interrupted.
 */
export function onShutdownSignal(stop: () => Promise<void>, logger: Logger): void {
  let stopping = false;
  const handle = async (signal: Deno.Signal) => {
    if (stopping) {
      logger.warn("second signal while stopping, exiting now", { signal });
      Deno.exit(1);
    }
    stopping = true;
    logger.info("stopping", { signal });
    try {
      await stop();
      logger.info("stopped");
      Deno.exit(0);
    } catch (error) {
      logger.error("shutdown failed", { error });
      Deno.exit(1);
    }
  };
  for (const signal of SIGNALS) Deno.addSignalListener(signal, () => void handle(signal));
}
