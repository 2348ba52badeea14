/** HTTP routes of the producer service. */
import { createRouter, type Handler, operationalRoutes } from "@campus/shared/http";
import type { ConnectionState } from "@campus/shared/kafka";
import type { ProducerMetrics } from "./metrics.ts";
import { buildAsyncApi } from "@campus/shared/events/asyncapi";
import { buildOpenApi } from "./openapi.ts";
import { createOrderRoutes, type PlaceOrdersDeps } from "./place_orders.ts";

/** What the handler needs from the outside world. */
export interface ProducerHandlerDeps extends PlaceOrdersDeps {
  kafka: ConnectionState;
  /** True while Kafka takes produce requests (orders go straight to it). */
  isReady: () => boolean;
  /** More of GET /ready's answer, ready or not (the outbox). */
  readyDetails?: () => Record<string, unknown>;
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
  const asyncApi = JSON.stringify(buildAsyncApi());
  const routes: Record<string, Handler> = {
    "POST /order": orders.placeOrder,
    "POST /orders/batch": orders.placeBatch,
    ...operationalRoutes({
      service: "producer",
      kafka: deps.kafka,
      isReady: deps.isReady,
      notReadyReason: "Not connected to Kafka",
      readyDetails: deps.readyDetails,
      notReadyDetails: deps.readyDetails,
      registry: metrics.registry,
    }),
    "GET /openapi.json": () =>
      new Response(openApi, { headers: { "content-type": "application/json" } }),
    // The events this service publishes, and what happens to them downstream.
    "GET /asyncapi.json": () =>
      new Response(asyncApi, { headers: { "content-type": "application/json" } }),
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
