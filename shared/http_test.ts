import assert from "node:assert/strict";
import { createRouter, json } from "./http.ts";

const handle = createRouter({
  "GET /health": () => json({ status: "ok" }),
  "POST /order": () => json({ accepted: true }, { status: 202 }),
});

Deno.test("createRouter() calls the handler of a matching method and path", async () => {
  const response = await handle(new Request("http://local/health"));
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { status: "ok" });
});

Deno.test("createRouter() answers 404 naming an unknown path", async () => {
  const response = await handle(new Request("http://local/nope"));
  assert.equal(response.status, 404);
  assert.deepEqual(await response.json(), { error: "Not found: /nope" });
});

Deno.test("createRouter() answers 405 with Allow for a known path and another method", async () => {
  const response = await handle(new Request("http://local/order", { method: "GET" }));
  assert.equal(response.status, 405);
  assert.equal(response.headers.get("allow"), "POST");
  assert.deepEqual(await response.json(), {
    error: "Method GET is not allowed on /order; use POST",
  });
});

Deno.test("json() sets the JSON content type and keeps other headers", () => {
  const response = json({}, { status: 503, headers: { "retry-after": "1" } });
  assert.equal(response.headers.get("content-type"), "application/json; charset=utf-8");
  assert.equal(response.headers.get("retry-after"), "1");
  assert.equal(response.status, 503);
});
