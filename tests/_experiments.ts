/**
 * What the four experiments share: HTTP-only clients of a running stack, waiting on analytics,
 * and printing results a person can read.
 * @module
 */
import { formatTable, percentile } from "../tasks/load/stats.ts";
import { progressBar } from "../tasks/load/stats.ts";
import { eventually, GiveUp, stack } from "./_support.ts";

export { formatTable, percentile, progressBar };

/** An order of an experiment. */
export interface ExperimentOrder {
  user_id: string;
  item: string;
  quantity: number;
}

/** Menu items, so experiments exercise real stock, and an unknown one, so every outcome occurs. */
export const EXPERIMENT_ITEMS = [
  "pizza",
  "burger",
  "pasta",
  "taco",
  "salad",
  "curry",
  "soup",
  "sushi",
  "lobster",
];

/** The `index`-th order of an experiment named `name`. */
export function experimentOrder(name: string, index: number): ExperimentOrder {
  return {
    user_id: `${name}-${index}`,
    item: EXPERIMENT_ITEMS[index % EXPERIMENT_ITEMS.length]!,
    quantity: 1,
  };
}

/** POST /order; resolves with the status, the answer and the latency in ms. */
export async function postOrder(
  order: ExperimentOrder,
): Promise<{ status: number; body: Record<string, unknown>; ms: number }> {
  const started = performance.now();
  const response = await fetch(`${stack.producerUrl}/order`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(order),
  });
  const body = await response.json();
  return { status: response.status, body, ms: performance.now() - started };
}

/** POST /orders/batch in batches of at most 1000; resolves with every order_id. */
export async function postBatches(orders: ExperimentOrder[]): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < orders.length; start += 1000) {
    const response = await fetch(`${stack.producerUrl}/orders/batch`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ orders: orders.slice(start, start + 1000) }),
    });
    const body = await response.json();
    if (response.status !== 202) {
      throw new Error(`Batch refused: ${response.status} ${JSON.stringify(body)}`);
    }
    ids.push(...body.order_ids);
  }
  return ids;
}

/** The analytics service's answer on GET /metrics. */
export interface AnalyticsAnswer {
  metrics: {
    total_orders: number;
    successful_orders: number;
    failed_orders: number;
    [key: string]: unknown;
  };
  operational: {
    events_consumed: number;
    duplicates_ignored: number;
    lag: number;
    [key: string]: unknown;
  };
}

/** GET /metrics of the analytics service. */
export async function analyticsNow(): Promise<AnalyticsAnswer> {
  return await (await fetch(`${stack.analyticsUrl}/metrics`)).json();
}

/**
 * Waits until everything accepted so far is decided and counted: inventory's lag, read fresh, is 0
 * (every order so far is decided and its decision committed), and then analytics' lag, read
 * fresh, is 0 (every decision committed by then is counted; analytics commits its offsets only
 * after counting). No sleeping: both are read from Kafka's offsets at the time of the request.
 */
export async function analyticsSettled(): Promise<AnalyticsAnswer> {
  return await eventually("analytics to settle", async () => {
    const inventoryLag = (await (await fetch(`${stack.inventoryUrl}/lag?fresh=true`)).json()).total;
    if (inventoryLag !== 0) return undefined;
    const answer: AnalyticsAnswer = await (await fetch(`${stack.analyticsUrl}/metrics?fresh=true`))
      .json();
    return answer.operational.lag === 0 ? answer : undefined;
  }, { timeoutMs: 60_000, intervalMs: 200 });
}

/** Waits until analytics has counted `expected` orders, failing if it ever counts more. */
export async function analyticsReaches(
  expected: number,
  timeoutMs = 120_000,
): Promise<AnalyticsAnswer> {
  let last: AnalyticsAnswer | undefined;
  return await eventually(`analytics to count ${expected} orders`, async () => {
    last = await analyticsNow();
    if (last.metrics.total_orders > expected) {
      throw new GiveUp(
        `analytics counted ${last.metrics.total_orders} orders, more than the ${expected} expected`,
      );
    }
    return last.metrics.total_orders === expected ? last : undefined;
  }, { timeoutMs, intervalMs: 100, lastSeen: () => last?.metrics.total_orders });
}

const BARS = " ▁▂▃▄▅▆▇█";

/** One line of a terminal chart: each sample as a bar scaled to `max`. */
export function sparkline(samples: readonly number[], max: number): string {
  return samples.map((value) => BARS[max === 0 ? 0 : Math.round((value / max) * (BARS.length - 1))])
    .join("");
}

/** Writes a progress bar on stderr, redrawn in place on a terminal. */
export function progressTo(label: string): (done: number, total: number) => void {
  const encoder = new TextEncoder();
  const terminal = Deno.stderr.isTerminal();
  let last = 0;
  return (done, total) => {
    const now = performance.now();
    if (done !== total && now - last < 100) return;
    last = now;
    const line = `${label} ${progressBar(done, total)}`;
    if (terminal) Deno.stderr.writeSync(encoder.encode(`\r${line}${done === total ? "\n" : ""}`));
    else if (done === total) Deno.stderr.writeSync(encoder.encode(`${line}\n`));
  };
}
