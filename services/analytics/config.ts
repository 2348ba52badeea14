/** The analytics service's environment. */
import { z } from "zod";
import { commonEnv, port } from "@campus/shared/config";
import { ANALYTICS } from "@campus/shared/services";

/** Keys read by the analytics service, with defaults. */
export const analyticsEnv = {
  ...commonEnv,
  [ANALYTICS.portVariable]: port(ANALYTICS.defaultPort),
  /** Seconds between two printed reports. */
  REPORT_INTERVAL: z.coerce.number({ error: "must be a number of seconds, e.g. 30" })
    .positive({ error: "must be more than 0 seconds" })
    .default(30),
};
