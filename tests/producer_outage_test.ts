/**
 * Kafka goes away under a running producer: answers turn 503 within the deadline (never a hang,
 * never a 2xx), /ready turns 503, and once Kafka is back the same process accepts orders again.
 * Both ways a broker goes away: stopped (connections refused) and hung (SIGSTOP: connections stay
 * open, nothing answers).
 */
import assert from "node:assert/strict";
import { TOPICS } from "@campus/shared/topics";
import { canStartProcesses, eventually, kafkaClientAllowed } from "./_support.ts";

const DEADLINE_MS = 2_000;

const order = (index: number) =>
  fetch("http://127.0.0.1:15101/order", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user_id: `outage-${index}`, item: "pizza", quantity: 1 }),
  });

/** The order answers while Kafka is away: all 503 with Retry-After, within the deadline. */
async function assertUnavailableInTime(first: number): Promise<void> {
  const started = performance.now();
  const during = await Promise.all([first, first + 1, first + 2].map(async (index) => {
    const response = await order(index);
    return {
      status: response.status,
      retryAfter: response.headers.get("retry-after"),
      body: await response.json(),
    };
  }));
  const elapsed = performance.now() - started;
  for (const answer of during) {
    assert.equal(answer.status, 503, JSON.stringify(answer.body));
    assert.equal(answer.retryAfter, "1");
    assert.match(answer.body.reason, /^(not_connected|timed_out|send_failed)$/);
  }
  assert.ok(
    elapsed < DEADLINE_MS + 1_500,
    `answered in ${elapsed.toFixed(0)} ms, deadline ${DEADLINE_MS} ms`,
  );
}

async function readyStatus(url: string): Promise<number> {
  const response = await fetch(`${url}/ready`);
  await response.body?.cancel();
  return response.status;
}

Deno.test({
  name:
    "with Kafka stopped or hung the producer answers 503 within its deadline and recovers without a restart",
  ignore: !canStartProcesses || !kafkaClientAllowed,
  sanitizeOps: false,
  sanitizeResources: false,
}, async (t) => {
  // Loaded here, not at the top: kafkajs needs env access, which plain `--allow-net` lacks.
  const [{ createKafka, ensureTopics }, { createLogger }, { startOwnBroker, startOwnService }] =
    await Promise.all([
      import("@campus/shared/kafka"),
      import("@campus/shared/log"),
      import("../tasks/own_processes.ts"),
    ]);
  await using broker = await startOwnBroker(19292);
  const admin = createKafka({
    clientId: "outage-test",
    brokers: [broker.bootstrap],
    logger: createLogger({ service: "test", write: () => {} }),
  }).admin();
  await admin.connect();
  await ensureTopics(admin, TOPICS);
  await admin.disconnect();

  await using producer = await startOwnService("producer", {
    env: {
      KAFKA_BOOTSTRAP_SERVERS: broker.bootstrap,
      PRODUCER_PORT: "15101",
      PRODUCE_TIMEOUT_MS: String(DEADLINE_MS),
      // Strict mode: without the outbox, 503 is the answer while Kafka is away (outbox_test.ts
      // covers the default).
      ORDER_OUTBOX: "off",
    },
    url: "http://127.0.0.1:15101",
  });
  const acceptedAgain = (index: number) =>
    eventually("orders to be accepted again", async () => {
      const response = await order(index);
      await response.body?.cancel();
      return response.status === 202 || undefined;
    }, { timeoutMs: 60_000, intervalMs: 500 });
  try {
    await eventually(
      "the producer to be ready",
      async () => await readyStatus(producer.url) === 200 || undefined,
    );
    assert.equal((await order(0)).status, 202);

    await t.step("stopped: 503 in time, /ready 503, 202 again once it is back", async () => {
      await broker.stop();
      await assertUnavailableInTime(1);
      await eventually(
        "GET /ready to answer 503",
        async () => await readyStatus(producer.url) === 503 || undefined,
      );
      await broker.start();
      await acceptedAgain(4);
      assert.equal(await readyStatus(producer.url), 200);
    });

    await t.step("hung (SIGSTOP): 503 in time, /ready 503, 202 again after SIGCONT", async () => {
      broker.signal("SIGSTOP");
      try {
        await assertUnavailableInTime(10);
        await eventually(
          "GET /ready to answer 503",
          async () => await readyStatus(producer.url) === 503 || undefined,
          { timeoutMs: 5_000 },
        );
        // Still within the deadline while the broker stays hung: no request waits longer.
        await assertUnavailableInTime(20);
      } finally {
        broker.signal("SIGCONT");
      }
      await acceptedAgain(30);
      assert.equal(await readyStatus(producer.url), 200);
    });
  } catch (error) {
    console.error(`producer log:\n${producer.log}\nbroker log:\n${broker.log}`);
    throw error;
  }
});
