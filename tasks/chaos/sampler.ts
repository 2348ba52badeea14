/**
 * Samples the stack every quarter second while the campaign runs: inventory's lag, and what
 * analytics has counted and its lag. The chart draws them and recovery times are read from them.
 * @module
 */
import { sleep } from "@campus/shared/timing";
import { getJson } from "@campus/shared/http_client";

/** One sample; a field is null when its service did not answer. Times are epoch milliseconds. */
export interface Sample {
  at: number;
  inventoryLag: number | null;
  analyticsTotal: number | null;
  analyticsLag: number | null;
}

const INTERVAL_MS = 250;
const ANSWER_TIMEOUT_MS = 1_000;

function numberAt(value: unknown, ...path: string[]): number | null {
  let current = value;
  for (const key of path) {
    if (typeof current !== "object" || current === null) return null;
    current = (current as Record<string, unknown>)[key];
  }
  return typeof current === "number" ? current : null;
}

/** Samples until stopped. */
export class Sampler {
  readonly samples: Sample[] = [];
  #stopped = false;
  #loop: Promise<void> | undefined;

  constructor(private readonly urls: { inventory: string; analytics: string }) {}

  start(): void {
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const at = Date.now();
      const [lag, metrics] = await Promise.all([
        getJson(`${this.urls.inventory}/lag`, ANSWER_TIMEOUT_MS),
        getJson(`${this.urls.analytics}/metrics`, ANSWER_TIMEOUT_MS),
      ]);
      this.samples.push({
        at,
        inventoryLag: numberAt(lag, "total"),
        analyticsTotal: numberAt(metrics, "metrics", "total_orders"),
        analyticsLag: numberAt(metrics, "operational", "lag"),
      });
      await sleep(Math.max(0, at + INTERVAL_MS - Date.now()));
    }
  }
}
