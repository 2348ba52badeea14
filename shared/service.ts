/**
 * The life cycle every service shares: serve HTTP at once, connect to Kafka in the background,
 * and on SIGINT/SIGTERM stop taking requests before closing Kafka clients.
 * @module
 */
import { type Handler, serveHttp } from "./http.ts";
import { connectWithRetry } from "./kafka.ts";
import type { Logger } from "./log.ts";
import { onShutdownSignal } from "./shutdown.ts";

/** Options for {@linkcode runService}. */
export interface ServiceOptions {
  handler: Handler;
  hostname: string;
  port: number;
  logger: Logger;
  /** Connects the Kafka clients; retried with backoff until it succeeds or the service stops. */
  connect: () => Promise<void>;
  /** Disconnects the Kafka clients, after HTTP has stopped. */
  close: () => Promise<void>;
  /**
   * Aborted when the service starts stopping, before HTTP stops. Routes that hold a request open
   * (a long wait) must answer when it aborts: stopping HTTP waits for every open request.
   */
  stopping?: AbortController;
}

/**
 * Starts a service and installs its graceful shutdown; resolves with the exit code once it has
 * stopped (its `main.ts` exits with it).
 */
export function runService(options: ServiceOptions): Promise<number> {
  const { logger } = options;
  const stopping = options.stopping ?? new AbortController();
  const server = serveHttp(options.handler, options);
  const connected = connectWithRetry(options.connect, { logger, signal: stopping.signal });
  return onShutdownSignal(async () => {
    stopping.abort();
    await server.shutdown();
    // A connect still in flight must settle first, or disconnect races it and leaves a socket open.
    await connected;
    await options.close();
  }, logger);
}
