import assert from "node:assert/strict";
import { createProducerHandler } from "./handler.ts";

Deno.test("GET /health answers 200 while Kafka is disconnected: it is liveness, not readiness", async () => {
  const handle = createProducerHandler({ kafka: { connected: false } });
  const response = await handle(new Request("http://local/health"));
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), {
    status: "ok",
    service: "producer",
    kafka: "disconnected",
  });
});
