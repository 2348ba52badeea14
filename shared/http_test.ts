import assert from "node:assert/strict";
import { adminRefusal, createRouter, json } from "./http.ts";

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

Deno.test("adminRefusal: an empty ADMIN_TOKEN is no token, and an empty or malformed credential never passes", () => {
  const gateway = {
    remoteAddr: { transport: "tcp", hostname: "172.18.0.1", port: 40000 },
    completed: Promise.resolve(),
  } as Deno.ServeHandlerInfo;
  const request = (authorization?: string) =>
    new Request("http://local/admin", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(authorization === undefined ? {} : { authorization }),
      },
    });
  for (const header of ["Bearer ", "x", "Bearer", ""]) {
    assert.equal(adminRefusal(request(header), gateway, "")?.status, 403, `"${header}", ""`);
    assert.equal(adminRefusal(request(header), gateway, "secret")?.status, 403, `"${header}"`);
  }
  assert.equal(adminRefusal(request("Bearer secret"), gateway, "")?.status, 403);
  assert.equal(adminRefusal(request("bearer secret"), gateway, "secret"), undefined);
  assert.equal(adminRefusal(request("Bearer secret2"), gateway, "secret")?.status, 403);
});
