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
  analytics: { ready: boolean; lag: Record<string, number> };
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
  baseUrl: string,
  maxAgeMs = 500,
  now: () => number = Date.now,
  read: (baseUrl: string) => Promise<InventoryView> = readInventory,
): () => Promise<InventoryView> {
  let last: { at: number; view: Promise<InventoryView> } | undefined;
  return () => {
    if (!last || now() - last.at >= maxAgeMs) last = { at: now(), view: read(baseUrl) };
    return last.view;
  };
}

/** Inventory's lag per partition and stock per item, read over HTTP from `baseUrl`. */
export async function readInventory(baseUrl: string): Promise<InventoryView> {
  const [lag, stock] = await Promise.all([
    getJson(`${baseUrl}/lag`, INVENTORY_TIMEOUT_MS),
    getJson(`${baseUrl}/inventory`, INVENTORY_TIMEOUT_MS),
  ]);
  return { lag: numbers(lag?.partitions), stock: numbers(stock?.items) };
}
