/**
 * The inventory service under failure, on a broker and instances of the test's own: exact stock
 * outcomes, exactly one result per order through a `kill -9` mid-stream, and identical decisions
 * after a rebuild from scratch.
 */
import assert from "node:assert/strict";
import type { Kafka } from "kafkajs";
import { encodeEvent } from "@campus/shared/events/codec";
import {
  type InventoryEvent,
  InventoryEvent as InventoryEventSchema,
} from "@campus/shared/events/inventory";
import { OrderPlaced } from "@campus/shared/events/order_placed";
import {
  DEFAULT_EVENT_PARTITIONS,
  INVENTORY_CHANGELOG,
  INVENTORY_DECIDED,
  INVENTORY_EVENTS,
  INVENTORY_GROUP,
  ORDER_EVENTS,
  ORDER_EVENTS_DLQ,
  TOPICS,
} from "@campus/shared/topics";
import type { OwnService } from "../tasks/own_processes.ts";
import {
  abortBigTransaction,
  canStartProcesses,
  connectedAdmin,
  endOffsets,
  eventually,
  kafkaClientAllowed,
  readToEnd,
  testKafka,
} from "./_support.ts";

const MENU = { "one-left": 1, pizza: 2000, soup: 1500, salad: 1000, curry: 800 };
const PORT = "15302";

async function decidedSoFar(kafka: Kafka): Promise<number> {
  await using admin = await connectedAdmin(kafka);
  const [entry] = await admin.fetchOffsets({ groupId: INVENTORY_GROUP, topics: [ORDER_EVENTS] });
  return (entry?.partitions ?? []).reduce(
    (sum, partition) => sum + Math.max(0, Number(partition.offset)),
    0,
  );
}

async function ordersOnTopic(kafka: Kafka): Promise<number> {
  await using admin = await connectedAdmin(kafka);
  return (await admin.fetchTopicOffsets(ORDER_EVENTS)).reduce(
    (sum, entry) => sum + Number(entry.high),
    0,
  );
}

async function results(kafka: Kafka): Promise<InventoryEvent[]> {
  return (await readToEnd(kafka, INVENTORY_EVENTS)).map((record) =>
    InventoryEventSchema.parse(JSON.parse(record.value ?? ""))
  );
}

function byOrder(events: InventoryEvent[]): Map<string, InventoryEvent[]> {
  const map = new Map<string, InventoryEvent[]>();
  for (const event of events) map.set(event.order_id, [...(map.get(event.order_id) ?? []), event]);
  return map;
}

Deno.test({
  name:
    "inventory decides each order exactly once through kill -9, and again identically after a rebuild",
  ignore: !canStartProcesses || !kafkaClientAllowed,
  sanitizeOps: false,
  sanitizeResources: false,
}, async (t) => {
  // Loaded here, not at the top: kafkajs needs env access, which plain `--allow-net` lacks.
  const [
    { ensureTopics, keyPartitioner },
    { fillOrders, generatedOrder },
    { startOwnBroker, startOwnService },
    {
      rebuildInventory,
    },
  ] = await Promise.all([
    import("@campus/shared/kafka"),
    import("../tasks/lib/orders.ts"),
    import("../tasks/own_processes.ts"),
    import("../tasks/rebuild_inventory.ts"),
  ]);
  await using broker = await startOwnBroker(19492);
  const kafka = await testKafka("inventory-eos-test", [broker.bootstrap]);
  {
    await using admin = await connectedAdmin(kafka);
    await ensureTopics(admin, TOPICS);
  }
  await Deno.mkdir(".data/own", { recursive: true });
  const menuFile = `.data/own/menu-${crypto.randomUUID().slice(0, 8)}.json`;
  await Deno.writeTextFile(menuFile, JSON.stringify(MENU));
  const start = (env: Record<string, string> = {}) =>
    startOwnService("inventory", {
      env: {
        KAFKA_BOOTSTRAP_SERVERS: broker.bootstrap,
        INVENTORY_PORT: PORT,
        INVENTORY_FILE: menuFile,
        ...env,
      },
      url: `http://127.0.0.1:${PORT}`,
    });
  let inventory: OwnService = await start();
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  try {
    await t.step(
      "a stock of 1 gives Reserved, then out_of_stock twice; an unknown item fails",
      async () => {
        const now = new Date();
        const partitionFor = keyPartitioner(DEFAULT_EVENT_PARTITIONS);
        const orders = [0, 1, 2].map((index) => ({
          ...generatedOrder(index, ["one-left"], now),
          quantity: 1,
        }));
        const lobster = { ...generatedOrder(3, ["lobster"], now), quantity: 1 };
        for (const order of [...orders, lobster]) {
          await producer.send({
            topic: ORDER_EVENTS,
            acks: -1,
            messages: [{
              key: order.item,
              value: encodeEvent(OrderPlaced, order),
              partition: partitionFor(order.item),
            }],
          });
        }
        const decided = await eventually("4 results", async () => {
          const events = await results(kafka);
          return events.length >= 4 ? events : undefined;
        });
        const outcome = (event: InventoryEvent | undefined) =>
          event?.event_type === "InventoryReserved"
            ? `reserved:${event.remaining}`
            : `failed:${event?.reason}`;
        const find = (orderId: string) => decided.find((event) => event.order_id === orderId);
        assert.deepEqual(orders.map((order) => outcome(find(order.order_id))), [
          "reserved:0",
          "failed:out_of_stock",
          "failed:out_of_stock",
        ]);
        assert.equal(outcome(find(lobster.order_id)), "failed:unknown_item");
        const reserved = find(orders[0]!.order_id)!;
        assert.equal(reserved.causation_id, orders[0]!.event_id);
        assert.equal(reserved.order_placed_at, orders[0]!.occurred_at);
      },
    );

    await t.step(
      "10,000 orders with kill -9 in the middle: every order has exactly one result",
      async () => {
        // Slow the service down so the kill lands while it is deciding, not after.
        const throttle = await fetch(`${inventory.url}/admin/throttle`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ seconds: 0.0002 }),
        });
        assert.equal(throttle.status, 200, await throttle.text());
        const before = await decidedSoFar(kafka);
        await fillOrders(kafka, {
          count: 10_000,
          items: ["pizza", "soup", "salad", "curry", "lobster"],
        });
        const total = await ordersOnTopic(kafka);
        await eventually(
          "the service to be deciding",
          async () => (await decidedSoFar(kafka)) > before + 500 || undefined,
          {
            timeoutMs: 60_000,
            intervalMs: 20,
          },
        );
        const atKill = await decidedSoFar(kafka);
        await inventory.killService("SIGKILL");
        await inventory.status;
        assert.ok(atKill < total, `killed at ${atKill} of ${total}: the kill must land mid-stream`);

        inventory = await start();
        await eventually(
          "every order decided after the restart",
          async () => (await decidedSoFar(kafka)) >= total || undefined,
          {
            timeoutMs: 90_000,
            intervalMs: 250,
          },
        );
        const events = await results(kafka);
        const perOrder = byOrder(events);
        const orders = (await readToEnd(kafka, ORDER_EVENTS)).map((record) =>
          OrderPlaced.parse(JSON.parse(record.value ?? ""))
        );
        assert.equal(orders.length, total);
        const missing = orders.filter((order) => !perOrder.has(order.order_id));
        const doubled = [...perOrder].filter(([, decided]) => decided.length !== 1);
        assert.deepEqual(missing.length, 0, "orders without a result");
        assert.deepEqual(doubled.length, 0, "orders with more than one result");

        const reservedUnits = new Map<string, number>();
        for (const event of events) {
          if (event.event_type === "InventoryReserved") {
            reservedUnits.set(event.item, (reservedUnits.get(event.item) ?? 0) + event.quantity);
          }
        }
        for (const [item, units] of reservedUnits) {
          assert.ok(
            units <= MENU[item as keyof typeof MENU],
            `${item}: reserved ${units} of ${MENU[item as keyof typeof MENU]}`,
          );
        }
        const expected = Object.fromEntries(
          Object.entries(MENU).map((
            [item, units],
          ) => [item, units - (reservedUnits.get(item) ?? 0)]),
        );
        const stock = await eventually("GET /inventory", async () => {
          const response = await fetch(`${inventory.url}/inventory`);
          return response.status === 200 ? (await response.json()).items : undefined;
        });
        assert.deepEqual(stock, expected);
        assert.ok([...reservedUnits.values()].some((units) => units > 0));
        assert.ok(
          events.some((event) =>
            event.event_type === "InventoryFailed" && event.reason === "out_of_stock"
          ),
        );
      },
    );

    await t.step("a rebuild from scratch decides every order again, identically", async () => {
      await inventory[Symbol.asyncDispose]();
      const first = byOrder(await results(kafka));
      {
        await using admin = await connectedAdmin(kafka);
        await eventually("the stopped member to leave the group", async () => {
          const { groups } = await admin.describeGroups([INVENTORY_GROUP]);
          return groups[0]?.members.length === 0 || undefined;
        }, { timeoutMs: 30_000 });
        await rebuildInventory(admin);
      }
      inventory = await start();
      const total = first.size;
      const second = await eventually("every order decided twice", async () => {
        const perOrder = byOrder(await results(kafka));
        return [...perOrder.values()].every((decided) => decided.length >= 2) &&
            perOrder.size === total
          ? perOrder
          : undefined;
      }, { timeoutMs: 90_000, intervalMs: 500 });
      const decision = (event: InventoryEvent) =>
        event.event_type === "InventoryReserved"
          ? `reserved:${event.remaining}`
          : `failed:${event.reason}`;
      const differing = [...second].filter(([, events]) =>
        decision(events[0]!) !== decision(events[1]!)
      );
      assert.equal(
        differing.length,
        0,
        `orders decided differently: ${JSON.stringify(differing.slice(0, 3))}`,
      );
      assert.ok([...second.values()].every((events) => events.length === 2));
    });

    await t.step(
      "fenced by a newer producer on every partition, it restarts and decides on",
      async () => {
        // What a new owner of the partitions does to this instance's transactional producers.
        for (let partition = 0; partition < DEFAULT_EVENT_PARTITIONS; partition++) {
          const fencer = kafka.producer({
            transactionalId: `${INVENTORY_GROUP}.${ORDER_EVENTS}.${partition}`,
            idempotent: true,
            maxInFlightRequests: 1,
          });
          await fencer.connect();
          await (await fencer.transaction()).abort();
          await fencer.disconnect();
        }
        const before = await decidedSoFar(kafka);
        await fillOrders(kafka, { count: 30, items: ["pizza", "soup", "salad"] });
        await eventually(
          "every order after the fencing decided",
          async () => await decidedSoFar(kafka) >= before + 30 || undefined,
          {
            timeoutMs: 60_000,
            intervalMs: 250,
          },
        );
        await eventually("GET /ready to answer 200 again", async () => {
          const response = await fetch(`${inventory.url}/ready`);
          await response.body?.cancel();
          return response.status === 200 || undefined;
        });
        assert.match(inventory.log.toString(), /inventory consumer restarted/);
      },
    );

    await t.step(
      "a message with thousands of bad fields is dead-lettered, not retried forever",
      async () => {
        const partitionFor = keyPartitioner(DEFAULT_EVENT_PARTITIONS);
        const fields = Object.fromEntries(
          Array.from({ length: 40_000 }, (_, index) => [`field_${index}`, index]),
        );
        const poison = JSON.stringify({ event_type: "OrderPlaced", ...fields });
        assert.ok(poison.length > 600_000, String(poison.length));
        const dlqStart = await endOffsets(kafka, ORDER_EVENTS_DLQ);
        const before = await decidedSoFar(kafka);
        await producer.send({
          topic: ORDER_EVENTS,
          acks: -1,
          messages: [{ key: "soup", value: poison, partition: partitionFor("soup") }],
        });
        await fillOrders(kafka, { count: 1, items: ["soup"] });
        // Both on one partition: its committed offset passes the order only past the poison.
        await eventually(
          "the order behind the poison decided",
          async () => await decidedSoFar(kafka) >= before + 2 || undefined,
          { timeoutMs: 30_000 },
        );
        const [dead] = await readToEnd(kafka, ORDER_EVENTS_DLQ, { from: dlqStart });
        assert.equal(dead?.value, poison, "the original bytes are kept");
        assert.equal(dead?.headers["dlq.reason"], "schema_mismatch");
        assert.ok((dead?.headers["dlq.detail"] ?? "").length <= 1_000);
        assert.match(dead?.headers["dlq.detail"] ?? "", /more characters\)$/);
      },
    );

    await t.step(
      "a restart restores state whose changelogs end in an aborted transaction",
      async () => {
        // What a chunk's transaction that aborted last leaves, on every partition of both changelogs.
        await abortBigTransaction(
          kafka,
          [INVENTORY_CHANGELOG, INVENTORY_DECIDED],
          DEFAULT_EVENT_PARTITIONS,
        );
        const stockBefore = await (await fetch(`${inventory.url}/inventory`)).json();
        await inventory[Symbol.asyncDispose]();
        inventory = await start();
        await eventually("GET /ready to answer 200 after the restore", async () => {
          const response = await fetch(`${inventory.url}/ready`);
          await response.body?.cancel();
          return response.status === 200 || undefined;
        }, { timeoutMs: 20_000 });
        const stockAfter = await (await fetch(`${inventory.url}/inventory`)).json();
        assert.deepEqual(
          stockAfter.items,
          stockBefore.items,
          "the aborted records changed nothing",
        );
      },
    );

    await t.step("a throttle of an hour does not hold up a shutdown", async () => {
      const throttle = await fetch(`${inventory.url}/admin/throttle`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ seconds: 3600 }),
      });
      assert.equal(throttle.status, 200, await throttle.text());
      const before = await ordersOnTopic(kafka);
      await fillOrders(kafka, { count: 1, items: ["soup"] });
      await eventually(
        "the order on the topic",
        async () => await ordersOnTopic(kafka) > before || undefined,
      );
      // Give the consumer time to fetch the order and start its hour-long wait.
      await eventually("the consumer to report lag on it", async () => {
        const { total } = await (await fetch(`${inventory.url}/lag`)).json();
        return total > 0 || undefined;
      }, { timeoutMs: 15_000 });
      const stopping = performance.now();
      inventory.kill("SIGTERM");
      const status = await inventory.status;
      const seconds = (performance.now() - stopping) / 1000;
      assert.ok(seconds < 5, `the service took ${seconds.toFixed(1)} s to stop`);
      assert.equal(status.code, 0, inventory.log.toString());
    });
  } catch (error) {
    console.error(`inventory log:\n${inventory.log}`);
    throw error;
  } finally {
    await producer.disconnect();
    await inventory[Symbol.asyncDispose]();
    await Deno.remove(menuFile).catch(() => {});
  }
});
