/** HTTP routes of the analytics service. */
import { createRouter, type Handler, healthResponse } from "@campus/shared/http";
import type { ConnectionState } from "@campus/shared/kafka";

/** What the handler needs from the outside world. */
export interface AnalyticsHandlerDeps {
  kafka: ConnectionState;
}

/** Builds the analytics service's request handler. */
export function createAnalyticsHandler(deps: AnalyticsHandlerDeps): Handler {
  return createRouter({
    "GET /health": () => healthResponse("analytics", deps.kafka),
  });
}
