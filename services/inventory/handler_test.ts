import assert from "node:assert/strict";
import { createInventoryHandler, type InventoryHandlerDeps } from "./handler.ts";
import { createInventoryMetrics } from "./metrics.ts";

function setup(adminToken?: string) {
  const throttle = { seconds: 0 };
  const deps: InventoryHandlerDeps = {
    kafka: { connected: true },
    isReady: () => true,
    stock: () => ({ pizza: 3 }),
    partitions: () => [0, 1, 2],
    lag: () => new Map([[0, 2], [1, 0], [2, 5]]),
    throttle,
    metrics: createInventoryMetrics({ delaySeconds: () => throttle.seconds }),
    adminToken,
  };
  return { handle: createInventoryHandler(deps), throttle };
}

const from = (hostname: string): Deno.ServeHandlerInfo =>
  ({
    remoteAddr: { transport: "tcp", hostname, port: 40000 },
    completed: Promise.resolve(),
  }) as Deno.ServeHandlerInfo;
const throttleRequest = (body: unknown, headers: Record<string, string> = {}) =>
  new Request("http://local/admin/throttle", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

Deno.test("POST /admin/throttle sets the delay for loopback callers", async () => {
  const { handle, throttle } = setup();
  const response = await handle(throttleRequest({ seconds: 0.5 }), from("127.0.0.1"));
  assert.equal(response.status, 200);
  assert.equal(throttle.seconds, 0.5);
});

Deno.test("POST /admin/throttle answers 403 to callers from other machines and changes nothing", async () => {
  const { handle, throttle } = setup();
  const response = await handle(throttleRequest({ seconds: 5 }), from("192.0.2.7"));
  assert.equal(response.status, 403);
  assert.equal(throttle.seconds, 0);
});

Deno.test("POST /admin/throttle answers callers off loopback that present ADMIN_TOKEN, and only them", async () => {
  const { handle, throttle } = setup("s3cret-token-of-the-stack");
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  // As through a container's published port: the caller is the network's gateway.
  const gateway = from("172.18.0.1");
  const wrong = await handle(throttleRequest({ seconds: 5 }, bearer("guess")), gateway);
  assert.equal(wrong.status, 403);
  assert.match((await wrong.json()).error, /Wrong admin token/);
  const none = await handle(throttleRequest({ seconds: 5 }), gateway);
  assert.equal(none.status, 403);
  assert.match((await none.json()).error, /loopback.*ADMIN_TOKEN/);
  const malformed = await handle(
    throttleRequest({ seconds: 5 }, { authorization: "Basic czNjcmV0" }),
    from("127.0.0.1"),
  );
  assert.equal(malformed.status, 403, "a presented credential is judged even over loopback");
  assert.equal(throttle.seconds, 0, "nothing changed");
  const right = await handle(
    throttleRequest({ seconds: 0.25 }, bearer("s3cret-token-of-the-stack")),
    gateway,
  );
  assert.equal(right.status, 200);
  assert.equal(throttle.seconds, 0.25);
  // The token does not lift the checks against web pages.
  const page = await handle(
    throttleRequest({ seconds: 9 }, {
      ...bearer("s3cret-token-of-the-stack"),
      origin: "https://evil.example",
    }),
    gateway,
  );
  assert.equal(page.status, 403);
  assert.equal(throttle.seconds, 0.25);
});

Deno.test("POST /admin/throttle without ADMIN_TOKEN refuses any presented token", async () => {
  const { handle, throttle } = setup();
  const response = await handle(
    throttleRequest({ seconds: 5 }, { authorization: "Bearer anything" }),
    from("127.0.0.1"),
  );
  assert.equal(response.status, 403);
  assert.match((await response.json()).error, /no ADMIN_TOKEN/);
  assert.equal(throttle.seconds, 0);
});

Deno.test("POST /admin/throttle rejects unknown fields and out-of-range delays", async () => {
  const { handle, throttle } = setup();
  assert.equal((await handle(throttleRequest({ seconds: 4000 }), from("::1"))).status, 400);
  assert.equal(
    (await handle(throttleRequest({ seconds: 1, extra: true }), from("::1"))).status,
    400,
  );
  assert.equal(throttle.seconds, 0);
});

Deno.test("POST /admin/throttle refuses what a web page in the operator's browser can send", async () => {
  const { handle, throttle } = setup();
  // A no-cors form or fetch from a page: a simple content type, which needs no CORS preflight.
  const simple = await handle(
    throttleRequest({ seconds: 3600 }, { "content-type": "text/plain;charset=UTF-8" }),
    from("127.0.0.1"),
  );
  assert.equal(simple.status, 415);
  assert.match((await simple.json()).error, /only Content-Type: application\/json/);
  const foreign = await handle(
    throttleRequest({ seconds: 3600 }, { origin: "https://evil.example" }),
    from("127.0.0.1"),
  );
  assert.equal(foreign.status, 403);
  assert.match((await foreign.json()).error, /other origins \(https:\/\/evil\.example\)/);
  assert.equal(throttle.seconds, 0, "nothing changed");
});

Deno.test("POST /admin/throttle refuses a body larger than a throttle request", async () => {
  const { handle, throttle } = setup();
  const response = await handle(
    throttleRequest({ seconds: 1, padding: "x".repeat(5000) }),
    from("127.0.0.1"),
  );
  assert.equal(response.status, 413);
  assert.equal(throttle.seconds, 0);
});

Deno.test("GET /lag sums the partitions", async () => {
  const { handle } = setup();
  assert.deepEqual(await (await handle(new Request("http://local/lag"))).json(), {
    total: 7,
    partitions: { 0: 2, 1: 0, 2: 5 },
  });
});

Deno.test("GET /lag?fresh=true reads the lag before answering; plain GET /lag does not", async () => {
  let refreshed = 0;
  const throttle = { seconds: 0 };
  const handle = createInventoryHandler({
    kafka: { connected: true },
    isReady: () => true,
    stock: () => ({}),
    partitions: () => [0],
    lag: () => new Map([[0, refreshed === 0 ? 4 : 0]]),
    refreshLag: () => Promise.resolve(void refreshed++),
    throttle,
    metrics: createInventoryMetrics({ delaySeconds: () => throttle.seconds }),
  });
  assert.equal((await (await handle(new Request("http://local/lag"))).json()).total, 4);
  assert.equal(refreshed, 0);
  assert.equal((await (await handle(new Request("http://local/lag?fresh=true"))).json()).total, 0);
  assert.equal(refreshed, 1);
});
