/** HTTP routes of the inventory service. */
import { createRouter, type Handler, healthResponse } from "@campus/shared/http";
import type { ConnectionState } from "@campus/shared/kafka";

/** What the handler needs from the outside world. */
export interface InventoryHandlerDeps {
  kafka: ConnectionState;
}

/** Builds the inventory service's request handler. */
export function createInventoryHandler(deps: InventoryHandlerDeps): Handler {
  return createRouter({
    "GET /health": () => healthResponse("inventory", deps.kafka),
  });
}
