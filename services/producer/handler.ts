/** HTTP routes of the producer service. */
import { createRouter, type Handler, healthResponse, json } from "@campus/shared/http";
import type { ConnectionState } from "@campus/shared/kafka";
import type { ProducerMetrics } from "./metrics.ts";
import { buildOpenApi } from "./openapi.ts";
import { createOrderRoutes, type PlaceOrdersDeps } from "./place_orders.ts";

/** What the handler needs from the outside world. */
export interface ProducerHandlerDeps extends PlaceOrdersDeps {
  kafka: ConnectionState;
  /** True while Kafka takes produce requests. */
  isReady: () => boolean;
  metrics: ProducerMetrics;
}

/** Builds the producer service's request handler. */
export function createProducerHandler(deps: ProducerHandlerDeps): Handler {
  const { metrics } = deps;
  const orders = createOrderRoutes({
    ...deps,
    onAccepted: (count) => metrics.ordersAccepted.inc(count),
  });
  const openApi = JSON.stringify(buildOpenApi());
  const routes: Record<string, Handler> = {
    "POST /order": orders.placeOrder,
    "POST /orders/batch": orders.placeBatch,
    "GET /health": () => healthResponse("producer", deps.kafka),
    "GET /ready": () =>
      deps.isReady() ? json({ status: "ready" }) : json({ error: "Not connected to Kafka" }, {
        status: 503,
        headers: { "retry-after": "1" },
      }),
    "GET /metrics": async () =>
      new Response(await metrics.registry.metrics(), {
        headers: { "content-type": metrics.registry.contentType },
      }),
    "GET /openapi.json": () =>
      new Response(openApi, { headers: { "content-type": "application/json" } }),
  };
  const route = createRouter(routes);
  // Count by route pattern, never by raw path: unknown paths must not create new series.
  return async (request) => {
    const path = new URL(request.url).pathname;
    const key = `${request.method} ${path}`;
    const response = await route(request);
    metrics.requests.inc({
      route: key in routes ? key : "unmatched",
      status: String(response.status),
    });
    return response;
  };
}
