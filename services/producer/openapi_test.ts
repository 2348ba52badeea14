import assert from "node:assert/strict";
import { z } from "zod";
import { buildOpenApi } from "./openapi.ts";
import { OrderRequest } from "./order_request.ts";

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, Record<string, unknown>> };
};
const doc = buildOpenApi() as Doc;

Deno.test("the OpenAPI document is 3.1 and its OrderRequest is the validating zod schema", () => {
  assert.equal(doc.openapi, "3.1.0");
  const { $schema: _, ...expected } = z.toJSONSchema(OrderRequest, {
    target: "draft-2020-12",
    io: "input",
  });
  assert.deepEqual(doc.components.schemas.OrderRequest, expected);
});

Deno.test("the OpenAPI document states the enforced bounds", () => {
  const order = doc.components.schemas.OrderRequest as {
    properties: Record<string, { minimum?: number; maximum?: number; maxLength?: number }>;
    additionalProperties: boolean;
    required: string[];
  };
  assert.equal(order.properties.quantity?.minimum, 1);
  assert.equal(order.properties.quantity?.maximum, 100);
  assert.equal(order.properties.user_id?.maxLength, 64);
  assert.equal(order.properties.item?.maxLength, 64);
  assert.equal(order.additionalProperties, false);
  assert.deepEqual(order.required.sort(), ["item", "quantity", "user_id"]);
});

Deno.test("the OpenAPI document lists every route with its error answers", () => {
  assert.deepEqual(Object.keys(doc.paths).sort(), [
    "/asyncapi.json",
    "/health",
    "/metrics",
    "/openapi.json",
    "/order",
    "/orders/batch",
    "/ready",
  ]);
  assert.deepEqual(Object.keys(doc.paths["/order"]!.post!.responses).sort(), [
    "202",
    "400",
    "413",
    "415",
    "422",
    "503",
  ]);
});
