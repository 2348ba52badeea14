/**
 * A partition's state, as one unit: where it starts, how a committed chunk changes it, and how
 * each changelog record changes it. The live path (after each commit) and the restore (reading
 * the changelogs) call these same functions, so a restarted instance holds exactly what the live
 * one held; `partition_state_test.ts` proves it through the real record codecs.
 * @module
 */
import { DecidedOrders } from "./decided.ts";
import type { DecidedChunk, StockLevel } from "./records.ts";
import type { Stock } from "./stock.ts";

/** Remaining stock of a partition's items, and the order ids it decided. */
export interface PartitionState {
  stock: Stock;
  decided: DecidedOrders;
}

/** What a committed chunk changed: exactly what its changelog records carry. */
export interface CommittedChunk {
  /** Remaining units of each item the chunk reserved. */
  stockChanges: ReadonlyMap<string, number>;
  /** The orders it decided, in decision order. */
  decidedIds: readonly string[];
  committedAtMs: number;
}

/** The state of `partition` before any decision: the menu's items that hash to it. */
export function initialState(
  partition: number,
  options: {
    menu: ReadonlyMap<string, number>;
    partitionFor: (item: string) => number;
    /** Bound of remembered decisions (see decided.ts). */
    maxDecided?: number;
  },
): PartitionState {
  const stock = new Map<string, number>();
  for (const [item, units] of options.menu) {
    if (options.partitionFor(item) === partition) stock.set(item, units);
  }
  return { stock, decided: new DecidedOrders(options.maxDecided) };
}

/** Applies what one committed chunk changed (the live path, after its transaction commits). */
export function applyChunk(state: PartitionState, chunk: CommittedChunk): void {
  applyStockLevels(state, chunk.stockChanges);
  for (const orderId of chunk.decidedIds) state.decided.add(orderId, chunk.committedAtMs);
}

/** Applies a stock changelog record (the restore). */
export function applyStockRecord(state: PartitionState, record: StockLevel): void {
  applyStockLevels(state, new Map([[record.item, record.remaining]]));
}

/** Applies a decided-orders changelog record (the restore). */
export function applyDecidedRecord(state: PartitionState, record: DecidedChunk): void {
  const decidedAt = Date.parse(record.decided_at);
  for (const orderId of record.order_ids) state.decided.add(orderId, decidedAt);
}

/** Forgets decisions older than the dedupe window, as the changelog's retention does. */
export function forgetDecidedBefore(state: PartitionState, cutoffMs: number): void {
  state.decided.forgetBefore(cutoffMs);
}

function applyStockLevels(state: PartitionState, levels: ReadonlyMap<string, number>): void {
  if (levels.size === 0) return;
  const stock = new Map(state.stock);
  // The menu decides what is sold; the changelog only how much of it is left.
  for (const [item, remaining] of levels) if (stock.has(item)) stock.set(item, remaining);
  state.stock = stock;
}
