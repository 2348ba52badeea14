/**
 * Which schema the messages of each topic follow: every producer encodes with it and every
 * consumer validates with it.
 * @module
 */
import { INVENTORY_EVENTS, ORDER_EVENTS } from "../topics.ts";
import { InventoryEvent } from "./inventory.ts";
import { OrderPlaced } from "./order_placed.ts";

/** The schema of each event topic. */
export const SCHEMA_BY_TOPIC = {
  [ORDER_EVENTS]: OrderPlaced,
  [INVENTORY_EVENTS]: InventoryEvent,
} as const;
