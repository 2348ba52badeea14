/**
 * Stock reservation: pure functions, no Kafka. The service applies them to each partition's state
 * and commits the outcome in one Kafka transaction.
 * @module
 */
import type { Decision } from "@campus/shared/events/inventory";

/** Remaining units per item. */
export type Stock = ReadonlyMap<string, number>;

/** The decision on one order. */
export type Reservation = Decision;

/** The part of an order that reservation looks at. */
export interface OrderLine {
  item: string;
  quantity: number;
}

/**
 * Reserves `order.quantity` units of `order.item`: unknown items fail with `unknown_item`, a
 * quantity above what remains fails with `out_of_stock` (nothing is reserved partially).
 *
 * @example
 * ```ts
 * const { result, stock } = reserve(new Map([["pizza", 1]]), { item: "pizza", quantity: 1 });
 * // result: { outcome: "reserved", remaining: 0 }
 * ```
 */
export function reserve(stock: Stock, order: OrderLine): { result: Reservation; stock: Stock } {
  const available = stock.get(order.item);
  if (available === undefined) {
    return { result: { outcome: "failed", reason: "unknown_item" }, stock };
  }
  if (order.quantity > available) {
    return { result: { outcome: "failed", reason: "out_of_stock" }, stock };
  }
  const remaining = available - order.quantity;
  return {
    result: { outcome: "reserved", remaining },
    stock: new Map(stock).set(order.item, remaining),
  };
}

/** Parses a menu file's content: `{"item": units, ...}` with whole, non-negative units. */
export function parseMenu(json: string, source: string): Map<string, number> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new Error(`Cannot read menu ${source}: not valid JSON (${(error as Error).message})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`Cannot read menu ${source}: expected an object of item names to units`);
  }
  const menu = new Map<string, number>();
  for (const [item, units] of Object.entries(value)) {
    if (!Number.isSafeInteger(units) || (units as number) < 0) {
      throw new Error(
        `Cannot read menu ${source}: units of "${item}" must be a whole number ≥ 0, got ${
          JSON.stringify(units)
        }`,
      );
    }
    menu.set(item, units as number);
  }
  return menu;
}
