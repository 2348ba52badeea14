/**
 * Idempotency-Key semantics that hold whether or not the producer remembers the key: across a
 * restart of the producer (which forgets every key), a retry of the same order is still one
 * order, decided once; the key reused for a different order is a new order, decided too.
 */
import assert from "node:assert/strict";
import { InventoryEvent } from "@campus/shared/events/inventory";
import { INVENTORY_EVENTS } from "@campus/shared/topics";
import {
  canStartProcesses,
  endOffsets,
  eventually,
  kafkaClientAllowed,
  readToEnd,
  stack,
  testKafka,
} from "./_support.ts";

const PORT = "15111";

Deno.test({
  name: "across a producer restart an Idempotency-Key still names one order per distinct order",
  ignore: !canStartProcesses || !kafkaClientAllowed,
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const { startOwnService } = await import("../tasks/own_processes.ts");
  const kafka = await testKafka("idempotency-restart-test");
  const resultsStart = await endOffsets(kafka, INVENTORY_EVENTS);
  const start = () =>
    startOwnService("producer", {
      env: { KAFKA_BOOTSTRAP_SERVERS: stack.brokers.join(","), PRODUCER_PORT: PORT },
      url: `http://127.0.0.1:${PORT}`,
    });
  const key = `restart-${crypto.randomUUID()}`;
  const first = { user_id: "idem-restart", item: "soup", quantity: 1 };
  const post = async (order: typeof first) => {
    const response = await fetch(`http://127.0.0.1:${PORT}/order`, {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": key },
      body: JSON.stringify(order),
    });
    assert.equal(response.status, 202, await response.clone().text());
    return (await response.json()).order_id as string;
  };
  const waitReady = () =>
    eventually("the producer to be ready", async () => {
      const response = await fetch(`http://127.0.0.1:${PORT}/ready`);
      await response.body?.cancel();
      return response.status === 200 || undefined;
    });

  let producer = await start();
  let ids: string[];
  try {
    await waitReady();
    const restart = async () => {
      await producer[Symbol.asyncDispose]();
      producer = await start();
      await waitReady();
    };
    const before = await post(first);
    await restart();
    const retried = await post(first);
    await restart(); // forgets the key again: a different order can no longer be told apart
    const changed = await post({ ...first, quantity: 2 });
    assert.equal(retried, before, "a retry of the same order names the same order");
    assert.notEqual(changed, before, "a different order under the same key is a new order");
    ids = [before, changed];
  } finally {
    await producer[Symbol.asyncDispose]();
  }

  const decisions = await eventually("both orders decided", async () => {
    const events = (await readToEnd(kafka, INVENTORY_EVENTS, { from: resultsStart }))
      .map((record) => InventoryEvent.parse(JSON.parse(record.value ?? "")))
      .filter((event) => ids.includes(event.order_id));
    return ids.every((id) => events.some((event) => event.order_id === id)) ? events : undefined;
  }, { timeoutMs: 30_000, intervalMs: 500 });
  // The retry was published again (the restarted producer forgot the key); inventory must have
  // dropped it by order_id: one decision per order.
  assert.deepEqual(decisions.map((event) => event.order_id).sort(), [...ids].sort());
});
