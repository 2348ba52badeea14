/** HTTP routes of the inventory service. */
import { z } from "zod";
import {
  createRouter,
  type Handler,
  healthResponse,
  isLoopback,
  json,
  localOnly,
} from "@campus/shared/http";
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
  throttle: { seconds: number };
  metrics: InventoryMetrics;
}

const ThrottleRequest = z.strictObject({ seconds: DelaySeconds });

/** Builds the inventory service's request handler. */
export function createInventoryHandler(deps: InventoryHandlerDeps): Handler {
  return createRouter({
    "GET /health": () => healthResponse("inventory", deps.kafka),
    "GET /ready": () =>
      deps.isReady()
        ? json({ status: "ready", partitions: deps.partitions() })
        : json({ error: "Not yet in the consumer group with restored stock" }, {
          status: 503,
          headers: { "retry-after": "1" },
        }),
    "GET /inventory": () => json({ items: deps.stock(), partitions: deps.partitions() }),
    "GET /lag": () => {
      const partitions = Object.fromEntries(deps.lag());
      const total = Object.values(partitions).reduce((sum, value) => sum + value, 0);
      return json({ total, partitions });
    },
    "GET /metrics": async () =>
      new Response(await deps.metrics.registry.metrics(), {
        headers: { "content-type": deps.metrics.registry.contentType },
      }),
    "POST /admin/throttle": async (request, info) => {
      if (!isLoopback(info)) return localOnly();
      let body: unknown;
      try {
        body = await request.json();
      } catch {
        return json({ error: 'Body must be JSON like {"seconds": 0.5}' }, { status: 400 });
      }
      const parsed = ThrottleRequest.safeParse(body);
      if (!parsed.success) {
        const message = parsed.error.issues.map((issue) =>
          `${issue.path.join(".") || "body"} ${issue.message}`
        ).join("; ");
        return json({ error: `Invalid throttle: ${message}` }, { status: 400 });
      }
      deps.throttle.seconds = parsed.data.seconds;
      return json({ seconds: deps.throttle.seconds });
    },
  });
}
