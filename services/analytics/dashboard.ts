/**
 * What the dashboard page shows, gathered in one answer (`GET /dashboard.json`): analytics' own
 * metrics and lag, inventory's lag and stock and the producer's outbox read from their HTTP APIs,
 * so the page needs one request and no cross-origin access.
 * @module
 */
import { getJson } from "@campus/shared/http_client";
import type { Metrics } from "./metrics.ts";

/** Inventory's side, or null where inventory did not answer. */
export interface InventoryView {
  lag: Record<string, number> | null;
  stock: Record<string, number> | null;
}

/** The producers' outboxes added up (orders taken while Kafka was away, not yet relayed). */
export interface OutboxView {
  depth: number;
  bytes: number;
  max_bytes: number;
  oldest_age_seconds: number;
}

/** The producer side, or null where no producer answered. */
export interface ProducerView {
  /** Producers that answered, and how many of them are connected to Kafka. */
  answering: number;
  connected: number;
  /** Null when the producers run without an outbox (ORDER_OUTBOX=off). */
  outbox: OutboxView | null;
}

/** The dashboard's data. */
export interface DashboardData {
  updated_at: string;
  metrics: Metrics;
  analytics: { ready: boolean; lag: Record<string, number>; partitions: number[] };
  inventory: InventoryView;
  producer: ProducerView | null;
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
  return cached(() => read(baseUrls), maxAgeMs, now);
}

/** `read`'s answer, asked again at most once per `maxAgeMs`. */
export function cached<T>(
  read: () => Promise<T>,
  maxAgeMs = 500,
  now: () => number = Date.now,
): () => Promise<T> {
  let last: { at: number; view: Promise<T> } | undefined;
  return () => {
    if (!last || now() - last.at >= maxAgeMs) last = { at: now(), view: read() };
    return last.view;
  };
}

/** A JSON body whatever the status (a producer's /ready is 503 while Kafka is away). */
async function anyJson(url: string): Promise<Record<string, unknown> | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(INVENTORY_TIMEOUT_MS) });
    return await response.json() as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * The producers' Kafka connection and outboxes, from their `GET /ready` (which shows the outbox
 * whether or not Kafka is connected): depths and bytes added up, the oldest order's age the
 * largest.
 */
export async function readProducers(baseUrls: readonly string[]): Promise<ProducerView | null> {
  const answers = (await Promise.all(baseUrls.map((url) => anyJson(`${url}/ready`))))
    .filter((answer) => answer !== undefined);
  if (answers.length === 0) return null;
  const outboxes = answers.map((answer) => answer.outbox as OutboxView | undefined)
    .filter((outbox): outbox is OutboxView =>
      outbox !== undefined && typeof outbox.depth === "number"
    );
  return {
    answering: answers.length,
    connected: answers.filter((answer) => answer.status === "ready").length,
    outbox: outboxes.length === 0 ? null : {
      depth: outboxes.reduce((sum, outbox) => sum + outbox.depth, 0),
      bytes: outboxes.reduce((sum, outbox) => sum + outbox.bytes, 0),
      max_bytes: outboxes.reduce((sum, outbox) => sum + outbox.max_bytes, 0),
      oldest_age_seconds: Math.max(...outboxes.map((outbox) => outbox.oldest_age_seconds)),
    },
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
