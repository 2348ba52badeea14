/**
 * `deno bench --allow-net`: latency of POST /order on a running stack, sequential and 16 at a time,
 * each against a baseline of a trivial request (GET /health) to the same server, so the table
 * shows what validating and publishing an order costs on top of an HTTP round trip.
 */
import { setting } from "../tasks/lib/setting.ts";

const url = setting("PRODUCER_URL", "http://127.0.0.1:5001");
const CONCURRENT = 16;
let sequence = 0;

async function health(): Promise<void> {
  const response = await fetch(`${url}/health`);
  await response.body?.cancel();
  if (response.status !== 200) throw new Error(`GET /health answered ${response.status}`);
}

async function order(): Promise<void> {
  const index = sequence++;
  const response = await fetch(`${url}/order`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      user_id: `bench-${index % 1000}`,
      item: ["pizza", "soup", "taco"][index % 3],
      quantity: 1,
    }),
  });
  await response.body?.cancel();
  if (response.status !== 202) throw new Error(`POST /order answered ${response.status}`);
}

Deno.bench({ name: "GET /health (baseline)", group: "sequential", baseline: true, fn: health });
Deno.bench({ name: "POST /order", group: "sequential", fn: order });
Deno.bench({
  name: `${CONCURRENT} concurrent GET /health (baseline)`,
  group: "concurrent",
  baseline: true,
  fn: async () => void await Promise.all(Array.from({ length: CONCURRENT }, health)),
});
Deno.bench({
  name: `${CONCURRENT} concurrent POST /order`,
  group: "concurrent",
  fn: async () => void await Promise.all(Array.from({ length: CONCURRENT }, order)),
});
