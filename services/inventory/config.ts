/** The inventory service's environment. */
import { z } from "zod";
import { adminToken, commonEnv, port } from "@campus/shared/config";
import { INVENTORY } from "@campus/shared/services";

/** Longest processing delay, in seconds. */
export const MAX_DELAY_SECONDS = 3600;

/** A processing delay in seconds; decimals allowed. */
export const DelaySeconds = z.coerce.number({ error: "must be a number of seconds, e.g. 0.5" })
  .min(0, { error: "must be zero or more seconds" })
  .max(MAX_DELAY_SECONDS, { error: `must be at most ${MAX_DELAY_SECONDS} seconds` });

/** Keys read by the inventory service, with defaults. */
export const inventoryEnv = {
  ...commonEnv,
  [INVENTORY.portVariable]: port(INVENTORY.defaultPort),
  /** Seconds spent per message, to make consumer lag visible. */
  PROCESSING_DELAY: DelaySeconds.default(0),
  /** Initial stock: a JSON object of item names to units. */
  INVENTORY_FILE: z.string().min(1).default("services/inventory/menu.json"),
  ADMIN_TOKEN: adminToken,
};
