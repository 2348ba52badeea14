import assert from "node:assert/strict";
import { cachedInventory, type InventoryView, readInventory, readProducers } from "./dashboard.ts";

Deno.test("inventory is asked at most once per half second, however many pages poll", async () => {
  let clock = 0;
  let reads = 0;
  const view: InventoryView = { lag: { "0": 1 }, stock: { pizza: 3 } };
  const inventory = cachedInventory(["http://inventory"], 500, () => clock, () => {
    reads++;
    return Promise.resolve(view);
  });
  assert.deepEqual(await inventory(), view);
  await inventory();
  clock = 499;
  await inventory();
  assert.equal(reads, 1);
  clock = 500;
  await inventory();
  assert.equal(reads, 2);
});

Deno.test("the stock of several inventory instances is put together; a silent one is left out", async () => {
  const answers: Record<string, unknown> = {
    "http://a/lag": { total: 2, partitions: { "0": 2, "1": 0 } },
    "http://a/inventory": { items: { pizza: 5 }, partitions: [0] },
    "http://b/lag": { total: 2, partitions: { "0": 2, "1": 0 } },
    "http://b/inventory": { items: { burger: 7, salad: 1 }, partitions: [1] },
  };
  const realFetch = globalThis.fetch;
  globalThis.fetch = (input: string | URL | Request) => {
    const body = answers[String(input)];
    return Promise.resolve(
      body === undefined ? new Response("down", { status: 503 }) : Response.json(body),
    );
  };
  try {
    assert.deepEqual(await readInventory(["http://a", "http://b", "http://c"]), {
      lag: { "0": 2, "1": 0 },
      stock: { burger: 7, pizza: 5, salad: 1 },
    });
    assert.deepEqual(await readInventory(["http://c"]), { lag: null, stock: null });
  } finally {
    globalThis.fetch = realFetch;
  }
});

Deno.test("the producers' outboxes are added up from /ready, answered 503 or not; a silent one is left out", async () => {
  const answers: Record<string, [number, unknown]> = {
    "http://p1/ready": [200, {
      status: "ready",
      outbox: { depth: 0, bytes: 0, max_bytes: 1000, oldest_age_seconds: 0 },
    }],
    "http://p2/ready": [503, {
      error: "Not connected to Kafka",
      outbox: { depth: 7, bytes: 1700, max_bytes: 1000, oldest_age_seconds: 12.5 },
    }],
    "http://off/ready": [200, { status: "ready" }],
  };
  const realFetch = globalThis.fetch;
  globalThis.fetch = (input: string | URL | Request) => {
    const answer = answers[String(input)];
    return answer === undefined
      ? Promise.reject(new TypeError("connection refused"))
      : Promise.resolve(Response.json(answer[1], { status: answer[0] }));
  };
  try {
    assert.deepEqual(await readProducers(["http://p1", "http://p2", "http://down"]), {
      answering: 2,
      connected: 1,
      outbox: { depth: 7, bytes: 1700, max_bytes: 2000, oldest_age_seconds: 12.5 },
    });
    assert.deepEqual(await readProducers(["http://off"]), {
      answering: 1,
      connected: 1,
      outbox: null,
    });
    assert.equal(await readProducers(["http://down"]), null);
  } finally {
    globalThis.fetch = realFetch;
  }
});
