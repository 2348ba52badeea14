/**
 * The producer's outbox against a real broker that is stopped and started, with the producer and
 * the inventory service as real processes: orders taken while Kafka is down reach
 * inventory-events exactly once and in per-item order, through a `kill -9` of the producer, and a
 * full outbox answers 503 with Retry-After and loses nothing it answered 202.
 */
import assert from "node:assert/strict";
import type { Kafka } from "kafkajs";
import { InventoryEvent as InventoryEventSchema } from "@campus/shared/events/inventory";
import { OrderPlaced as OrderPlacedSchema } from "@campus/shared/events/order_placed";
import { INVENTORY_EVENTS, ORDER_EVENTS, TOPICS } from "@campus/shared/topics";
import type { OwnService } from "../tasks/own_processes.ts";
import {
  canStartProcesses,
  connectedAdmin,
  eventually,
  kafkaClientAllowed,
  readToEnd,
  testKafka,
} from "./_support.ts";

const BROKER_PORT = 18592;
const PRODUCER = "http://127.0.0.1:15131";
const INVENTORY_PORT = "15132";
const OUTBOX_DIR = ".data/outbox-test";
const ITEMS = ["pizza", "soup", "salad", "curry", "taco"];
const MENU = Object.fromEntries(ITEMS.map((item) => [item, 100_000]));

interface Answer {
  status: number;
  retryAfter: string | null;
  body: Record<string, unknown>;
}

async function postOrder(user: string, item: string): Promise<Answer> {
  const response = await fetch(`${PRODUCER}/order`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user_id: user, item, quantity: 1 }),
  });
  return {
    status: response.status,
    retryAfter: response.headers.get("retry-after"),
    body: await response.json(),
  };
}

/**
 * Sends `perItem` orders of every item: one lane per item, each order sent once the previous one
 * of its item was answered, so each item's orders have an order to keep. Stops a lane at the
 * first answer that is no 202 when `stopAtRefusal`; a request cut off counts as no answer.
 */
async function sendLanes(
  prefix: string,
  perItem: number,
  onAnswer: (item: string, user: string, answer: Answer | undefined) => void,
): Promise<void> {
  await Promise.all(ITEMS.map(async (item) => {
    for (let index = 0; index < perItem; index++) {
      const user = `${prefix}-${item}-${index}`;
      onAnswer(item, user, await postOrder(user, item).catch(() => undefined));
    }
  }));
}

async function outboxDepth(): Promise<number | undefined> {
  const response = await fetch(`${PRODUCER}/ready`).catch(() => undefined);
  if (!response) return undefined;
  const body = await response.json();
  return body.outbox?.depth;
}

/** Decisions on inventory-events by order id, in log order (partition by partition). */
async function decisionsByOrder(kafka: Kafka): Promise<Map<string, { user: string }[]>> {
  const byOrder = new Map<string, { user: string }[]>();
  for (const record of await readToEnd(kafka, INVENTORY_EVENTS)) {
    const event = InventoryEventSchema.parse(JSON.parse(record.value ?? "null"));
    byOrder.set(event.order_id, [
      ...(byOrder.get(event.order_id) ?? []),
      { user: event.user_id },
    ]);
  }
  return byOrder;
}

/** Each item's decided order ids in log order (an item's orders share one partition). */
async function decidedSequence(kafka: Kafka): Promise<Map<string, string[]>> {
  const sequence = new Map<string, string[]>();
  for (const record of await readToEnd(kafka, INVENTORY_EVENTS)) {
    const event = InventoryEventSchema.parse(JSON.parse(record.value ?? "null"));
    sequence.set(event.item, [...(sequence.get(event.item) ?? []), event.order_id]);
  }
  return sequence;
}

async function orderEventCounts(kafka: Kafka): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const record of await readToEnd(kafka, ORDER_EVENTS)) {
    const event = OrderPlacedSchema.parse(JSON.parse(record.value ?? "null"));
    counts.set(event.order_id, (counts.get(event.order_id) ?? 0) + 1);
  }
  return counts;
}

Deno.test({
  name:
    "with Kafka stopped orders are queued on disk and reach inventory-events exactly once, in per-item order, through kill -9 and a full outbox",
  ignore: !canStartProcesses || !kafkaClientAllowed,
  sanitizeOps: false,
  sanitizeResources: false,
}, async (t) => {
  // Loaded here, not at the top: kafkajs needs env access, which plain `--allow-net` lacks.
  const [{ ensureTopics }, { startOwnBroker, startOwnService }] = await Promise.all([
    import("@campus/shared/kafka"),
    import("../tasks/own_processes.ts"),
  ]);
  await Deno.remove(OUTBOX_DIR, { recursive: true }).catch(() => {});
  await Deno.mkdir(OUTBOX_DIR, { recursive: true });
  await using broker = await startOwnBroker(BROKER_PORT);
  const kafka = await testKafka("outbox-test", [broker.bootstrap]);
  {
    await using admin = await connectedAdmin(kafka);
    await ensureTopics(admin, TOPICS);
  }
  const menuFile = `${OUTBOX_DIR}/menu.json`;
  await Deno.writeTextFile(menuFile, JSON.stringify(MENU));
  await using _inventory = await startOwnService("inventory", {
    env: {
      KAFKA_BOOTSTRAP_SERVERS: broker.bootstrap,
      INVENTORY_PORT,
      INVENTORY_FILE: menuFile,
    },
    url: `http://127.0.0.1:${INVENTORY_PORT}`,
  });
  const startProducer = (env: Record<string, string> = {}) =>
    startOwnService("producer", {
      env: {
        KAFKA_BOOTSTRAP_SERVERS: broker.bootstrap,
        PRODUCER_PORT: "15131",
        PRODUCE_TIMEOUT_MS: "2000",
        ORDER_OUTBOX_DIR: OUTBOX_DIR,
        ...env,
      },
      url: PRODUCER,
    });
  const producerReady = () =>
    eventually("the producer to be connected to Kafka", async () => {
      const response = await fetch(`${PRODUCER}/ready`);
      await response.body?.cancel();
      return response.status === 200 || undefined;
    }, { timeoutMs: 60_000 });
  const drained = () =>
    eventually("the outbox to be relayed", async () => await outboxDepth() === 0 || undefined, {
      timeoutMs: 60_000,
      intervalMs: 250,
      lastSeen: outboxDepth,
    });
  /** Waits until every id has a decision; asserts each has exactly one. */
  const decidedOnce = async (ids: readonly string[]) => {
    let decisions = new Map<string, { user: string }[]>();
    await eventually(`${ids.length} orders to be decided`, async () => {
      decisions = await decisionsByOrder(kafka);
      return ids.every((id) => decisions.has(id)) || undefined;
    }, {
      timeoutMs: 60_000,
      intervalMs: 500,
      lastSeen: () => ids.filter((id) => !decisions.has(id)).length + " undecided",
    });
    const doubled = ids.filter((id) => decisions.get(id)!.length !== 1);
    assert.deepEqual(doubled, [], "decided more than once");
    return decisions;
  };

  let producer: OwnService = await startProducer();
  try {
    await producerReady();

    await t.step(
      "broker stopped: 1,000 orders all 202 queued, then relayed exactly once, in per-item order",
      async () => {
        await broker.stop();
        const sent = new Map<string, string[]>(ITEMS.map((item) => [item, []]));
        const refused: unknown[] = [];
        await sendLanes("stopped", 200, (item, _user, answer) => {
          if (answer?.status === 202 && answer.body.status === "queued") {
            sent.get(item)!.push(answer.body.order_id as string);
          } else refused.push(answer?.body ?? "no answer");
        });
        assert.deepEqual(refused, []);
        const ids = [...sent.values()].flat();
        assert.equal(ids.length, 1000);
        // Durable and visible: /ready (503 while Kafka is away) and /metrics show the outbox.
        const ready = await fetch(`${PRODUCER}/ready`);
        assert.equal(ready.status, 503);
        const body = await ready.json();
        assert.equal(body.outbox.depth, 1000);
        assert.ok(body.outbox.oldest_age_seconds > 0);
        const metrics = await (await fetch(`${PRODUCER}/metrics`)).text();
        assert.match(metrics, /^producer_outbox_orders 1000$/m);
        assert.match(metrics, /^producer_orders_queued_total 1000$/m);

        await broker.start();
        await drained();
        await decidedOnce(ids);
        const sequence = await decidedSequence(kafka);
        for (const item of ITEMS) {
          const mine = new Set(sent.get(item));
          assert.deepEqual(
            sequence.get(item)!.filter((id) => mine.has(id)),
            sent.get(item),
            `${item}'s orders decided in the order they were answered`,
          );
        }
        // The relay itself writes each order once: no consumer has to drop a repeat.
        const counts = await orderEventCounts(kafka);
        assert.deepEqual(ids.filter((id) => counts.get(id) !== 1), [], "written more than once");
        // Back to direct sends once drained.
        const after = await postOrder("stopped-after", "pizza");
        assert.equal(after.status, 202);
        assert.equal(after.body.status, "accepted");
      },
    );

    await t.step(
      "broker stopped, producer kill -9 mid-way, both restarted: every 202 decided exactly once",
      async () => {
        await broker.stop();
        const answered: string[] = [];
        let count = 0;
        let killed: Promise<void> | undefined;
        await sendLanes("killed", 120, (_item, _user, answer) => {
          if (answer?.status === 202) answered.push(answer.body.order_id as string);
          if (++count === 250) killed = producer.killService("SIGKILL");
        });
        await killed;
        await producer.status;
        assert.ok(answered.length >= 250, `${answered.length} answered 202 before the kill`);
        assert.ok(answered.length < 600, "the kill cut the load short");
        producer = await startProducer();
        assert.ok(
          (await outboxDepth() ?? 0) >= answered.length,
          "the restarted producer holds them",
        );
        await broker.start();
        await producerReady();
        await drained();
        await decidedOnce(answered);
      },
    );

    await t.step(
      "outbox full: 503 with Retry-After, bounded, nothing answered 202 is lost",
      async () => {
        await producer[Symbol.asyncDispose]();
        // About 80 orders' worth.
        producer = await startProducer({ ORDER_OUTBOX_MAX_BYTES: "20000" });
        await producerReady();
        await broker.stop();
        const queued: string[] = [];
        const full: Answer[] = [];
        const refusedUsers = new Set<string>();
        await sendLanes("full", 40, (_item, user, answer) => {
          if (answer?.status === 202) queued.push(answer.body.order_id as string);
          else if (answer) {
            full.push(answer);
            refusedUsers.add(user);
          }
        });
        assert.ok(queued.length > 40 && queued.length < 150, `${queued.length} queued`);
        assert.equal(queued.length + full.length, 200);
        for (const answer of full) {
          assert.equal(answer.status, 503);
          assert.equal(answer.retryAfter, "1");
          assert.equal(answer.body.reason, "outbox_full");
        }
        const ready = await (await fetch(`${PRODUCER}/ready`)).json();
        assert.ok(ready.outbox.bytes <= 20000, `${ready.outbox.bytes} bytes held`);
        assert.equal(ready.outbox.depth, queued.length);

        await broker.start();
        await drained();
        await decidedOnce(queued);
        // Orders refused with 503 were never stored, so never decided.
        const decidedUsers = [...(await decisionsByOrder(kafka)).values()].flat()
          .map((decision) => decision.user);
        assert.deepEqual(decidedUsers.filter((user) => refusedUsers.has(user)), []);
      },
    );
  } catch (error) {
    console.error(`producer log:\n${producer.log}\nbroker log:\n${broker.log}`);
    throw error;
  } finally {
    await producer[Symbol.asyncDispose]();
  }
});
