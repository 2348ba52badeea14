/**
 * Kafka goes away under a running producer: answers turn 503 within the deadline (never a hang,
 * never a 2xx), /ready turns 503, and once Kafka is back the same process accepts orders again.
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

Deno.test({
  name:
    "with Kafka stopped the producer answers 503 within its deadline and recovers without a restart",
  ignore: !canStartProcesses || !kafkaClientAllowed,
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  // Loaded here, not at the top: kafkajs needs env access, which plain `--allow-net` lacks.
  const [{ createKafka, ensureTopics }, { createLogger }, { startOwnBroker, startOwnService }] =
    await Promise.all([
      import("@campus/shared/kafka"),
      import("@campus/shared/log"),
      import("../tasks/lib/own_processes.ts"),
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
    },
    url: "http://127.0.0.1:15101",
  });
  try {
    await eventually(
      "the producer to be ready",
      async () => (await fetch(`${producer.url}/ready`)).status === 200 || undefined,
    );
    assert.equal((await order(0)).status, 202);

    await broker.stop();
    const started = performance.now();
    const during = await Promise.all([1, 2, 3].map(async (index) => {
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
    }
    assert.ok(
      elapsed < DEADLINE_MS + 1_500,
      `answered in ${elapsed.toFixed(0)} ms, deadline ${DEADLINE_MS} ms`,
    );
    await eventually("GET /ready to answer 503", async () => {
      const response = await fetch(`${producer.url}/ready`);
      await response.body?.cancel();
      return response.status === 503 || undefined;
    });

    await broker.start();
    await eventually("orders to be accepted again", async () => {
      const response = await order(4);
      await response.body?.cancel();
      return response.status === 202 || undefined;
    }, { timeoutMs: 60_000, intervalMs: 500 });
    assert.equal((await fetch(`${producer.url}/ready`)).status, 200);
  } catch (error) {
    console.error(`producer log:\n${producer.log}\nbroker log:\n${broker.log}`);
    throw error;
  }
});
