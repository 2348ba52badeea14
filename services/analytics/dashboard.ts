/**
 * What the dashboard page shows, gathered in one answer (`GET /dashboard.json`): analytics' own
 * metrics and lag, and inventory's lag and stock read from its HTTP API, so the page needs one
 * request and no cross-origin access.
 * @module
 */
import { getJson } from "@campus/shared/http_client";
import type { Metrics } from "./metrics.ts";

/** Inventory's side, or null where inventory did not answer. */
export interface InventoryView {
  lag: Record<string, number> | null;
  stock: Record<string, number> | null;
}

/** The dashboard's data. */
export interface DashboardData {
  updated_at: string;
  metrics: Metrics;
  analytics: { ready: boolean; lag: Record<string, number>; partitions: number[] };
  inventory: InventoryView;
}

/** How long the dashboard waits for inventory before showing it as unavailable. */
const INVENTORY_TIMEOUT_MS = 1_000;

function numbers(value: unknown): Record<string, number> | null {
  if (typeof value !== "object" || value === null) return null;
  const entries = Object.entries(value).filter(([, count]) => typeof count === "number");
  return Object.fromEntries(entries) as Record<string, number>;
}

/**
 * {@linkcode readInventory}, asked at most once per `maxAgeMs` however many pages poll: each open
 * tab refreshes every second, and inventory should not pay for every one of them.
 */
export function cachedInventory(
  baseUrls: readonly string[],
  maxAgeMs = 500,
  now: () => number = Date.now,
  read: (baseUrls: readonly string[]) => Promise<InventoryView> = readInventory,
): () => Promise<InventoryView> {
  let last: { at: number; view: Promise<InventoryView> } | undefined;
  return () => {
    if (!last || now() - last.at >= maxAgeMs) last = { at: now(), view: read(baseUrls) };
    return last.view;
  };
}

/**
 * Inventory's lag per partition and stock per item, read over HTTP from every instance: the lag
 * is the group's (any instance knows it), the stock is each instance's items put together (each
 * has the items of the partitions it owns).
 */
export async function readInventory(baseUrls: readonly string[]): Promise<InventoryView> {
  const answers = await Promise.all(baseUrls.map((baseUrl) =>
    Promise.all([
      getJson(`${baseUrl}/lag`, INVENTORY_TIMEOUT_MS),
      getJson(`${baseUrl}/inventory`, INVENTORY_TIMEOUT_MS),
    ])
  ));
  const lag = answers.map(([lag]) => numbers(lag?.partitions)).find((value) => value !== null);
  const stocks = answers.map(([, stock]) => numbers(stock?.items))
    .filter((value) => value !== null);
  return {
    lag: lag ?? null,
    stock: stocks.length === 0 ? null : Object.fromEntries(
      stocks.flatMap((stock) => Object.entries(stock)).sort(([a], [b]) => a.localeCompare(b)),
    ),
  };
}
