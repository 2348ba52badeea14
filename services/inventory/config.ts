/** The inventory service's environment. */
import { z } from "zod";
import { commonEnv, port } from "@campus/shared/config";

/** Keys read by the inventory service, with defaults. */
export const inventoryEnv = {
  ...commonEnv,
  INVENTORY_PORT: port(5002),
  /** Seconds spent per message, to make consumer lag visible; decimals allowed. */
  PROCESSING_DELAY: z.coerce.number({ error: "must be a number of seconds, e.g. 0.5" })
    .min(0, { error: "must be zero or more seconds" })
    .max(3600, { error: "must be at most 3600 seconds" })
    .default(0),
};
