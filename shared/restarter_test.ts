import assert from "node:assert/strict";
import { createLogger } from "./log.ts";
import { Restarter } from "./restarter.ts";

const quiet = createLogger({ service: "test", write: () => {} });
const until = async (condition: () => boolean) => {
  const deadline = Date.now() + 2_000;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  assert.ok(condition(), "condition not reached in time");
};

Deno.test("Restarter retries a restart that fails, with backoff, until it starts", async () => {
  const stopping = new AbortController();
  let attempts = 0;
  const restarter = new Restarter({
    what: "consumer",
    restart: () => ++attempts < 3 ? Promise.reject(new Error("broker away")) : Promise.resolve(),
    logger: quiet,
    signal: stopping.signal,
    initialDelayMs: 5,
  });
  restarter.request(new Error("fenced"));
  await restarter.settled();
  assert.equal(attempts, 3);
  assert.equal(restarter.restarts, 3);
});

Deno.test("Restarter restarts once more for a crash that comes while it restarts", async () => {
  const stopping = new AbortController();
  let started = 0;
  const restarter = new Restarter({
    what: "consumer",
    restart: () => {
      started++;
      if (started === 1) restarter.request(new Error("crashed again while starting"));
      return Promise.resolve();
    },
    logger: quiet,
    signal: stopping.signal,
    initialDelayMs: 5,
  });
  restarter.request(new Error("fenced"));
  await until(() => started === 2);
  await restarter.settled();
  assert.equal(started, 2);
});

Deno.test("Restarter does nothing once the service stops", async () => {
  const stopping = new AbortController();
  let started = 0;
  const restarter = new Restarter({
    what: "consumer",
    restart: () => Promise.resolve(void started++),
    logger: quiet,
    signal: stopping.signal,
    initialDelayMs: 50,
  });
  restarter.request(new Error("fenced"));
  stopping.abort();
  await restarter.settled();
  restarter.request(new Error("late crash"));
  await restarter.settled();
  assert.equal(started, 0);
});

Deno.test("Restarter keeps backing off for a component that crashes soon after every start", async () => {
  const stopping = new AbortController();
  let clock = 0;
  const delays: number[] = [];
  const logger = createLogger({
    service: "test",
    write: (line) => {
      const entry = JSON.parse(line);
      if (entry.retry_in_ms !== undefined) delays.push(entry.retry_in_ms);
    },
  });
  const restarter = new Restarter({
    what: "consumer",
    restart: () => Promise.resolve(),
    logger,
    signal: stopping.signal,
    initialDelayMs: 1,
    stableAfterMs: 1_000,
    now: () => clock,
  });
  for (let crash = 0; crash < 3; crash++) {
    restarter.request(new Error("fenced again"));
    await restarter.settled();
    restarter.healthy();
    clock += 10; // joined, then crashed again 10 ms later
  }
  clock += 5_000; // this time it worked for a while
  restarter.request(new Error("a crash much later"));
  await restarter.settled();
  assert.deepEqual(delays, [1, 2, 4, 1]);
});
