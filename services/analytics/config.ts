/** The analytics service's environment. */
import { z } from "zod";
import { adminToken, commonEnv, port } from "@campus/shared/config";
import { ANALYTICS, INVENTORY, PRODUCER } from "@campus/shared/services";

/** One URL or several, comma-separated, without trailing slashes. */
function urlList(error: string) {
  return z.string()
    .transform((value) => value.split(",").map((url) => url.trim().replace(/\/+$/, "")))
    .refine((urls) => urls.every((url) => z.url().safeParse(url).success), { error });
}

/** Keys read by the analytics service, with defaults. */
export const analyticsEnv = {
  ...commonEnv,
  [ANALYTICS.portVariable]: port(ANALYTICS.defaultPort),
  /** Seconds between two printed reports. */
  REPORT_INTERVAL: z.coerce.number({ error: "must be a number of seconds, e.g. 30" })
    .positive({ error: "must be more than 0 seconds" })
    .default(30),
  /**
   * Where the dashboard reads inventory's lag and stock: one URL, or several comma-separated when
   * inventory runs as several instances (each has the stock of the items it owns). By default the
   * inventory of the same stack: 127.0.0.1 and INVENTORY_PORT, which `up` gives every service.
   * (Not INVENTORY_URL: the tests use that name to point at a stack.) Hosts must be ones
   * `--allow-net` allows.
   */
  DASHBOARD_INVENTORY_URL: urlList(
    "must be a URL such as http://127.0.0.1:5002, or several separated by commas",
  ).optional(),
  [INVENTORY.portVariable]: port(INVENTORY.defaultPort),
  /** Where the dashboard reads the producers' outboxes: as DASHBOARD_INVENTORY_URL, one or more. */
  DASHBOARD_PRODUCER_URL: urlList(
    "must be a URL such as http://127.0.0.1:5001, or several separated by commas",
  ).optional(),
  [PRODUCER.portVariable]: port(PRODUCER.defaultPort),
  ADMIN_TOKEN: adminToken,
};

/** The producer instances the dashboard reads from. */
export function producerUrls(
  config: { DASHBOARD_PRODUCER_URL?: string[]; PRODUCER_PORT: number },
): string[] {
  return config.DASHBOARD_PRODUCER_URL ?? [`http://127.0.0.1:${config.PRODUCER_PORT}`];
}

/** The inventory instances the dashboard reads from. */
export function inventoryUrls(
  config: { DASHBOARD_INVENTORY_URL?: string[]; INVENTORY_PORT: number },
): string[] {
  return config.DASHBOARD_INVENTORY_URL ?? [`http://127.0.0.1:${config.INVENTORY_PORT}`];
}
