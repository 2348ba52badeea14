/** HTTP routes of the inventory service. */
import { z } from "zod";
import {
  adminRefusal,
  createRouter,
  type Handler,
  json,
  operationalRoutes,
} from "@campus/shared/http";
import { describeIssues } from "@campus/shared/issues";
import { readJsonBody } from "@campus/shared/read_body";
import type { ConnectionState } from "@campus/shared/kafka";
import { DelaySeconds } from "./config.ts";
import type { InventoryMetrics } from "./metrics.ts";

/** What the handler needs from the outside world. */
export interface InventoryHandlerDeps {
  kafka: ConnectionState;
  /** Joined the group and restored the state of every assigned partition. */
  isReady: () => boolean;
  stock: () => Record<string, number>;
  partitions: () => readonly number[];
  lag: () => ReadonlyMap<number, number>;
  /** Reads the lag now instead of the last one-second sample (`GET /lag?fresh=true`). */
  refreshLag?: () => Promise<unknown>;
  throttle: { seconds: number };
  metrics: InventoryMetrics;
  /** ADMIN_TOKEN: lets callers off loopback use the admin routes (see `adminRefusal`). */
  adminToken?: string;
}

const ThrottleRequest = z.strictObject({ seconds: DelaySeconds });
/** `{"seconds": 0.5}` needs a few bytes; more is not a throttle request. */
const THROTTLE_BODY_LIMIT_BYTES = 1024;

/** Builds the inventory service's request handler. */
export function createInventoryHandler(deps: InventoryHandlerDeps): Handler {
  return createRouter({
    ...operationalRoutes({
      service: "inventory",
      kafka: deps.kafka,
      isReady: deps.isReady,
      notReadyReason: "Not yet in the consumer group with restored stock",
      readyDetails: () => ({ partitions: deps.partitions() }),
      registry: deps.metrics.registry,
    }),
    "GET /inventory": () => json({ items: deps.stock(), partitions: deps.partitions() }),
    "GET /lag": async (request) => {
      if (new URL(request.url).searchParams.get("fresh") === "true") await deps.refreshLag?.();
      const partitions = Object.fromEntries(deps.lag());
      const total = Object.values(partitions).reduce((sum, value) => sum + value, 0);
      return json({ total, partitions });
    },
    "POST /admin/throttle": async (request, info) => {
      const refusal = adminRefusal(request, info, deps.adminToken);
      if (refusal) return refusal;
      const body = await readJsonBody(request, THROTTLE_BODY_LIMIT_BYTES);
      if (!body.ok) return body.response;
      const parsed = ThrottleRequest.safeParse(body.value);
      if (!parsed.success) {
        const message = describeIssues(parsed.error.issues, { root: "body" });
        return json({ error: `Invalid throttle: ${message}` }, { status: 400 });
      }
      deps.throttle.seconds = parsed.data.seconds;
      return json({ seconds: deps.throttle.seconds });
    },
  });
}
