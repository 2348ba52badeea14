import assert from "node:assert/strict";
import { Ajv } from "ajv";
import specs from "@asyncapi/specs";
import committed from "../../docs/asyncapi.json" with { type: "json" };
import { buildAsyncApi } from "./asyncapi.ts";
import orderPlaced from "./fixtures/order_placed.v1.json" with { type: "json" };
import reserved from "./fixtures/inventory_reserved.v1.json" with { type: "json" };
import failed from "./fixtures/inventory_failed.v1.json" with { type: "json" };

type Json = Record<string, unknown>;
const document = JSON.parse(JSON.stringify(buildAsyncApi())) as Json;

/** The object a local `$ref` such as `#/components/messages/OrderPlaced` points to. */
function resolve(ref: string): unknown {
  assert.match(ref, /^#\//, `${ref} is a local reference`);
  let node: unknown = document;
  for (const part of ref.slice(2).split("/")) {
    assert.ok(node && typeof node === "object" && part in node, `${ref} resolves (at ${part})`);
    node = (node as Json)[part];
  }
  return node;
}

function messagePayload(name: string): Json {
  const message = resolve(`#/components/messages/${name}`) as Json;
  return message.payload as Json;
}

Deno.test("the AsyncAPI document is AsyncAPI 3.0 and every reference in it resolves", () => {
  assert.equal(document.asyncapi, "3.0.0");
  const channels = document.channels as Record<string, Json>;
  assert.deepEqual(
    Object.values(channels).map((channel) => channel.address).sort(),
    ["inventory-events", "inventory-events.dlq", "order-events", "order-events.dlq"],
  );
  for (const channel of Object.values(channels)) {
    for (const message of Object.values(channel.messages as Record<string, { $ref: string }>)) {
      resolve(message.$ref);
    }
  }
  for (const operation of Object.values(document.operations as Record<string, Json>)) {
    assert.ok(["send", "receive"].includes(operation.action as string));
    resolve((operation.channel as { $ref: string }).$ref);
    for (const message of operation.messages as { $ref: string }[]) resolve(message.$ref);
  }
  const deadLetter = resolve("#/components/messages/DeadLetter") as Json;
  assert.ok(
    ((deadLetter.headers as Json).required as string[]).includes("dlq.reason"),
    "dead letters document their headers",
  );
});

Deno.test("the document is valid against the official AsyncAPI 3.0.0 JSON Schema", () => {
  // The spec's bundle carries its own copy of the draft-07 meta-schema: ajv's is left out.
  const ajv = new Ajv({
    allErrors: true,
    strict: false,
    validateFormats: false,
    meta: false,
    validateSchema: false,
  });
  const validate = ajv.compile(specs.schemas["3.0.0"]);
  assert.ok(validate(document), JSON.stringify(validate.errors?.slice(0, 5), null, 1));
  // And a broken document is not: the check can fail.
  assert.equal(validate({ ...document, asyncapi: 3 }), false);
  const version2Operation = { action: "publish", channel: { $ref: "#/channels/orderEvents" } };
  assert.equal(validate({ ...document, operations: { placeOrder: version2Operation } }), false);
});

Deno.test("each golden fixture validates against its message's schema, and broken ones do not", () => {
  const ajv = new Ajv({ allErrors: true, validateFormats: false });
  const cases: [string, Json][] = [
    ["OrderPlaced", orderPlaced],
    ["InventoryReserved", reserved],
    ["InventoryFailed", failed],
  ];
  for (const [name, fixture] of cases) {
    const validate = ajv.compile(messagePayload(name));
    assert.ok(validate(fixture), `${name}: ${JSON.stringify(validate.errors)}`);
    assert.equal(validate({ ...fixture, quantity: 0 }), false, `${name} rejects quantity 0`);
    assert.equal(validate({ ...fixture, extra: 1 }), false, `${name} rejects unknown fields`);
    const { order_id: _dropped, ...withoutOrderId } = fixture;
    assert.equal(validate(withoutOrderId), false, `${name} requires order_id`);
  }
  // Each decision validates against its own message only.
  assert.equal(ajv.compile(messagePayload("InventoryReserved"))(failed), false);
});

Deno.test("docs/asyncapi.json is what the schemas generate (run `deno task asyncapi`)", () => {
  assert.deepEqual(committed, document);
});
