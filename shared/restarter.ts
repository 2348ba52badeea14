/**
 * Bringing a component back after it stopped on its own.
 *
 * kafkajs restarts a crashed consumer only for retriable errors; after any other (a fenced
 * transactional producer, an expired producer id, a producer closed during a revoke) the consumer
 * stays stopped while the process, and its /health, live on. A Restarter turns every such crash
 * into a restart with backoff, one at a time.
 * @module
 */
import type { Logger } from "./log.ts";
import { sleep } from "./timing.ts";

/** Options of {@linkcode Restarter}. */
export interface RestarterOptions {
  /** What it restarts, for the logs. */
  what: string;
  /** Builds the component anew and starts it; a rejection is retried after the next delay. */
  restart: () => Promise<void>;
  logger: Logger;
  /** Aborted when the service stops: no restart after that. */
  signal: AbortSignal;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** How long the component must work after a restart before the backoff starts over. */
  stableAfterMs?: number;
  /** The clock, for tests. */
  now?: () => number;
}

/** Restarts with backoff; a crash during a restart restarts again once it is done. */
export class Restarter {
  #running: Promise<void> | undefined;
  #again = false;
  #delayMs: number;
  #restarts = 0;
  #healthySince: number | undefined;

  constructor(readonly options: RestarterOptions) {
    this.#delayMs = options.initialDelayMs ?? 500;
  }

  /** How many restarts were started. */
  get restarts(): number {
    return this.#restarts;
  }

  /** The component stopped: restart it (after the current delay). */
  request(cause: unknown): void {
    if (this.options.signal.aborted) return;
    const healthyFor = this.#healthySince === undefined ? 0 : this.#now() - this.#healthySince;
    this.#healthySince = undefined;
    if (healthyFor >= (this.options.stableAfterMs ?? 60_000)) {
      this.#delayMs = this.options.initialDelayMs ?? 500;
    }
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#restartUntilStarted(cause).finally(() => {
      this.#running = undefined;
      if (this.#again) {
        this.#again = false;
        this.request(cause);
      }
    });
  }

  /**
   * The component works again. Once it has worked for `stableAfterMs`, the next crash waits only
   * the initial delay; one that crashes soon after every start keeps backing off.
   */
  healthy(): void {
    this.#healthySince ??= this.#now();
  }

  #now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** Resolves once no restart is in progress (for a clean stop). */
  async settled(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async #restartUntilStarted(cause: unknown): Promise<void> {
    const { logger, signal, what } = this.options;
    while (!signal.aborted) {
      logger.warn(`${what} stopped; restarting it`, { error: cause, retry_in_ms: this.#delayMs });
      await sleep(this.#delayMs, signal);
      this.#delayMs = Math.min(this.#delayMs * 2, this.options.maxDelayMs ?? 30_000);
      if (signal.aborted) return;
      this.#restarts++;
      try {
        await this.options.restart();
        logger.info(`${what} restarted`);
        return;
      } catch (error) {
        cause = error;
      }
    }
  }
}
