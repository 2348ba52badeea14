/** HTTP routes of the producer service. */
import { createRouter, type Handler, healthResponse } from "@campus/shared/http";
import type { ConnectionState } from "@campus/shared/kafka";

/** What the handler needs from the outside world. */
export interface ProducerHandlerDeps {
  kafka: ConnectionState;
}

/** Builds the producer service's request handler. */
export function createProducerHandler(deps: ProducerHandlerDeps): Handler {
  return createRouter({
    "GET /health": () => healthResponse("producer", deps.kafka),
  });
}
