/**
 * Beyond one instance and one broker, through `deno task up --scale` and `--brokers`: three
 * inventory and two analytics instances deciding 10,000 orders exactly once, one inventory
 * instance killed with SIGKILL mid-stream, a replay asked of one analytics instance, one analytics
 * instance killed, and a three-node cluster losing a broker under load.
 * Each test starts a stack of its own on ports of its own.
 */
import assert from "node:assert/strict";
import type { Kafka } from "kafkajs";
import menu from "../services/inventory/menu.json" with { type: "json" };
import { computeMetrics } from "../services/analytics/metrics.ts";
import { InventoryEvent } from "@campus/shared/events/inventory";
import { DEFAULT_EVENT_PARTITIONS, INVENTORY_EVENTS, ORDER_EVENTS } from "@campus/shared/topics";
import { startTerminalJob, type TerminalJob } from "./_processes.ts";
import {
  canStartProcesses,
  connectedAdmin,
  eventually,
  kafkaClientAllowed,
  readToEnd,
  testKafka,
} from "./_support.ts";

const canRun = canStartProcesses && kafkaClientAllowed;
const ITEMS = [...Object.keys(menu), "lobster"];
const STOCK: Record<string, number> = menu;

/** A `deno task up` of a test's own, with where its processes listen. */
interface ScaledStack extends TerminalJob {
  producer: string;
  inventories: string[];
  analytics: string[];
  brokers: string[];
}

async function startScaled(
  options: {
    basePort: number;
    kafkaPort: number;
    dataDir: string;
    args: string[];
    inventories: number;
    analytics: number;
    brokers: number;
  },
): Promise<ScaledStack> {
  await Deno.remove(options.dataDir, { recursive: true }).catch(() => {});
  const job = startTerminalJob("up", {
    KAFKA_BOOTSTRAP_SERVERS: "",
    KAFKA_PORT: String(options.kafkaPort),
    KAFKA_CONTROLLER_PORT: String(options.kafkaPort + 1),
    KAFKA_DATA_DIR: `${options.dataDir}/kafka`,
    KAFKA_HEAP: "512m",
    // Strict: these tests measure how soon Kafka itself acknowledges again after a broker dies.
    ORDER_OUTBOX: "off",
    PRODUCER_PORT: String(options.basePort + 1),
    INVENTORY_PORT: String(options.basePort + 2),
    ANALYTICS_PORT: String(options.basePort + 3),
  }, options.args);
  const url = (port: number) => `http://127.0.0.1:${port}`;
  const stack = Object.assign(job, {
    producer: url(options.basePort + 1),
    inventories: Array.from(
      { length: options.inventories },
      (_, index) => url(options.basePort + 2 + 10 * index),
    ),
    analytics: Array.from(
      { length: options.analytics },
      (_, index) => url(options.basePort + 3 + 10 * index),
    ),
    brokers: Array.from(
      { length: options.brokers },
      (_, index) => `127.0.0.1:${options.kafkaPort + 2 * index}`,
    ),
  });
  try {
    await eventually("the up banner", () => {
      if (job.lines.some((line) => line.endsWith("| Ctrl-C stops everything."))) return true;
      if (job.lines.some((line) => /Start-up failed|Cannot start/.test(line))) {
        throw new Error("up did not start");
      }
      return undefined;
    }, { timeoutMs: 180_000, lastSeen: () => job.lines.slice(-15) });
  } catch (error) {
    await job[Symbol.asyncDispose]();
    throw new Error(`${error}\n${job.lines.slice(-40).join("\n")}`);
  }
  return stack;
}

/**
 * Runs `body` against `stack`; its whole output goes to `logFile`, and a failure carries the
 * stack's last lines, so that a failure in CI can be read.
 */
async function withStackLog(
  stack: ScaledStack,
  logFile: string,
  body: () => Promise<void>,
): Promise<void> {
  try {
    await body();
  } catch (error) {
    throw new Error(
      `${
        error instanceof Error ? error.stack : error
      }\n--- last lines of up (all in ${logFile}) ---\n` +
        stack.lines.slice(-60).join("\n"),
    );
  } finally {
    await Deno.writeTextFile(logFile, stack.lines.join("\n") + "\n").catch(() => {});
  }
}

/** The pid of the process listening on `port` of 127.0.0.1. */
async function pidListeningOn(port: number): Promise<number> {
  const output = await new Deno.Command("ss", {
    args: ["-Htlnp", `sport = :${port}`],
    stdout: "piped",
  }).output();
  const pid = /pid=(\d+)/.exec(new TextDecoder().decode(output.stdout))?.[1];
  if (!pid) throw new Error(`Nothing listens on port ${port}`);
  return Number(pid);
}

function portOf(address: string): number {
  return Number(address.split(":").at(-1));
}

/** Places `count` orders through POST /orders/batch; resolves with their order ids. */
async function placeOrders(producer: string, prefix: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += 500) {
    const orders = Array.from({ length: Math.min(500, count - start) }, (_, offset) => {
      const index = start + offset;
      return {
        user_id: `${prefix}-${index}`,
        item: ITEMS[index % ITEMS.length]!,
        quantity: 1 + (index % 3),
      };
    });
    const response = await fetch(`${producer}/orders/batch`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ orders }),
    });
    const body = await response.json();
    assert.equal(response.status, 202, JSON.stringify(body));
    ids.push(...body.order_ids);
  }
  return ids;
}

async function getJson(url: string): Promise<Record<string, unknown>> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`${url} answered ${response.status}`);
  }
  return await response.json();
}

/** Waits until the inventory instances own every partition between them and have no lag. */
async function inventorySettled(inventories: string[]): Promise<void> {
  let seen: unknown;
  await eventually("inventory to own every partition and have no lag", async () => {
    const owned: number[] = [];
    for (const url of inventories) {
      const ready = await getJson(`${url}/ready`).catch(() => undefined);
      owned.push(...((ready?.partitions as number[] | undefined) ?? []));
    }
    const lag = await getJson(`${inventories[0]}/lag?fresh=true`);
    seen = { owned, lag };
    return owned.length === DEFAULT_EVENT_PARTITIONS &&
        new Set(owned).size === DEFAULT_EVENT_PARTITIONS && lag.total === 0
      ? true
      : undefined;
  }, { timeoutMs: 120_000, intervalMs: 500, lastSeen: () => seen });
}

/**
 * Checks the decisions on inventory-events: each of `orderIds` decided exactly once, nothing
 * else decided, no item reserved beyond its stock. Returns the decisions in log order.
 */
async function checkDecisions(kafka: Kafka, orderIds: string[]): Promise<InventoryEvent[]> {
  const decisions = (await readToEnd(kafka, INVENTORY_EVENTS))
    .map((record) => InventoryEvent.parse(JSON.parse(record.value ?? "")));
  const perOrder = new Map<string, number>();
  for (const event of decisions) {
    perOrder.set(event.order_id, (perOrder.get(event.order_id) ?? 0) + 1);
  }
  const lost = orderIds.filter((id) => !perOrder.has(id));
  const doubled = [...perOrder].filter(([, count]) => count > 1);
  const expected = new Set(orderIds);
  const phantom = [...perOrder.keys()].filter((id) => !expected.has(id));
  assert.deepEqual(
    { lost: lost.length, doubled: doubled.length, phantom: phantom.length },
    { lost: 0, doubled: 0, phantom: 0 },
    `lost ${lost.slice(0, 3)}, doubled ${JSON.stringify(doubled.slice(0, 3))}`,
  );
  const reserved = new Map<string, number>();
  for (const event of decisions) {
    if (event.event_type !== "InventoryReserved") continue;
    reserved.set(event.item, (reserved.get(event.item) ?? 0) + event.quantity);
    assert.ok(event.remaining >= 0, `${event.item} went below zero`);
  }
  for (const [item, quantity] of reserved) {
    assert.ok(quantity <= (STOCK[item] ?? 0), `${item}: ${quantity} reserved of ${STOCK[item]}`);
  }
  return decisions;
}

/** Waits until every analytics instance reports `expected` orders and no lag; returns answers. */
async function analyticsAgree(
  analytics: string[],
  expected: number,
): Promise<Array<{ metrics: Record<string, unknown> }>> {
  let seen: unknown;
  return await eventually(`every analytics instance to count ${expected} orders`, async () => {
    const answers = [];
    for (const url of analytics) {
      const answer = await getJson(`${url}/metrics?fresh=true`);
      const metrics = answer.metrics as { total_orders: number };
      const operational = answer.operational as { lag: number };
      seen = { url, total_orders: metrics.total_orders, lag: operational.lag };
      if (metrics.total_orders !== expected || operational.lag !== 0) return undefined;
      answers.push(answer as { metrics: Record<string, unknown> });
    }
    return answers;
  }, { timeoutMs: 60_000, intervalMs: 500, lastSeen: () => seen });
}

Deno.test({
  name:
    "3 inventory and 2 analytics instances: 10,000 orders decided once, none oversold, the same " +
    "global metrics on both analytics; kill -9 of an inventory instance loses and doubles nothing; " +
    "a replay on either analytics agrees; kill -9 of an analytics instance leaves the other exact",
  ignore: !canRun,
  sanitizeOps: false,
  sanitizeResources: false,
}, async (t) => {
  await using stack = await startScaled({
    basePort: 15800,
    kafkaPort: 19882,
    dataDir: ".data/scale",
    args: ["--scale", "inventory=3,analytics=2"],
    inventories: 3,
    analytics: 2,
    brokers: 1,
  });
  await withStackLog(stack, ".data/scale/up.log", async () => {
    const banner = stack.lines.join("\n");
    for (
      const name of ["inventory-1", "inventory-2", "inventory-3", "analytics-1", "analytics-2"]
    ) {
      assert.match(banner, new RegExp(`up +\\|   ${name} +http://127\\.0\\.0\\.1:\\d+`), name);
    }
    const kafka = await testKafka("scale-test", stack.brokers);
    const orderIds: string[] = [];

    await t.step("10,000 orders over 3 inventory instances", async () => {
      const owners = await Promise.all(
        stack.inventories.map(async (url) => (await getJson(`${url}/inventory`)).partitions),
      );
      assert.equal(owners.flat().length, DEFAULT_EVENT_PARTITIONS, JSON.stringify(owners));
      for (const partitions of owners) {
        assert.ok((partitions as number[]).length >= 1, "every instance owns partitions");
      }
      const started = performance.now();
      orderIds.push(...await placeOrders(stack.producer, "scale", 10_000));
      await inventorySettled(stack.inventories);
      const seconds = (performance.now() - started) / 1000;
      console.log(`10,000 orders placed and decided by 3 instances in ${seconds.toFixed(1)} s`);
      const decisions = await checkDecisions(kafka, orderIds);
      const [first, second] = await analyticsAgree(stack.analytics, orderIds.length);
      assert.equal(JSON.stringify(first!.metrics), JSON.stringify(second!.metrics));
      assert.equal(JSON.stringify(first!.metrics), JSON.stringify(computeMetrics(decisions)));
    });

    await t.step("kill -9 of one inventory instance mid-stream", async () => {
      const victimPort = Number(new URL(stack.inventories[1]!).port);
      const victim = await pidListeningOn(victimPort);
      await using admin = await connectedAdmin(kafka);
      const placed = async () =>
        (await admin.fetchTopicOffsets(ORDER_EVENTS)).reduce(
          (sum, entry) => sum + Number(entry.high),
          0,
        );
      const before = await placed();
      const placing = placeOrders(stack.producer, "scale-kill", 4_000);
      placing.catch(() => {}); // awaited below; not an unhandled rejection if the wait fails first
      await eventually(
        "a quarter of the new orders on order-events",
        async () => await placed() >= before + 1_000 ? true : undefined,
      );
      Deno.kill(victim, "SIGKILL");
      orderIds.push(...await placing);
      const survivors = [stack.inventories[0]!, stack.inventories[2]!];
      await inventorySettled(survivors);
      const decisions = await checkDecisions(kafka, orderIds);
      const [first, second] = await analyticsAgree(stack.analytics, orderIds.length);
      assert.equal(JSON.stringify(first!.metrics), JSON.stringify(second!.metrics));
      assert.equal(JSON.stringify(first!.metrics), JSON.stringify(computeMetrics(decisions)));
    });

    await t.step(
      "a replay asked of analytics-2 gives both instances the same metrics again",
      async () => {
        const [before] = await analyticsAgree(stack.analytics, orderIds.length);
        const response = await fetch(`${stack.analytics[1]}/replay?wait=true`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          signal: AbortSignal.timeout(60_000),
        });
        assert.equal(response.status, 200);
        const body = await response.json();
        assert.equal(body.status, "done");
        const after = await analyticsAgree(stack.analytics, orderIds.length);
        for (const answer of after) {
          assert.equal(JSON.stringify(answer.metrics), JSON.stringify(before!.metrics));
        }
      },
    );

    await t.step(
      "kill -9 of analytics-2: analytics-1 takes its partitions over, still exact",
      async () => {
        Deno.kill(await pidListeningOn(Number(new URL(stack.analytics[1]!).port)), "SIGKILL");
        orderIds.push(...await placeOrders(stack.producer, "scale-analytics", 1_000));
        await inventorySettled([stack.inventories[0]!, stack.inventories[2]!]);
        const decisions = await checkDecisions(kafka, orderIds);
        const [only] = await analyticsAgree([stack.analytics[0]!], orderIds.length);
        assert.equal(JSON.stringify(only!.metrics), JSON.stringify(computeMetrics(decisions)));
        const dashboard = await getJson(`${stack.analytics[0]}/dashboard.json`);
        const partitions = (dashboard.analytics as { partitions: number[] }).partitions;
        assert.equal(partitions.length, DEFAULT_EVENT_PARTITIONS, "all partitions moved to it");
      },
    );
  });
});

/** One order as its own request, with when it was sent and answered. */
interface Attempt {
  sentAt: number;
  doneAt: number;
  status: number;
  orderId?: string;
}

Deno.test({
  name: "3 brokers: kill -9 of one under load: acknowledgements resume within seconds, no " +
    "acknowledged order is lost, consumers go on, and up starts the broker again, which catches up",
  ignore: !canRun,
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  await using stack = await startScaled({
    basePort: 15900,
    kafkaPort: 19902,
    dataDir: ".data/cluster",
    args: ["--brokers", "3"],
    inventories: 1,
    analytics: 1,
    brokers: 3,
  });
  await withStackLog(stack, ".data/cluster/up.log", async () => {
    assert.match(stack.lines.join("\n"), /3-node Apache Kafka .* cluster/);
    const kafka = await testKafka("cluster-test", stack.brokers);
    await using admin = await connectedAdmin(kafka);
    const topics = [ORDER_EVENTS, INVENTORY_EVENTS];
    for (const topic of (await admin.fetchTopicMetadata({ topics })).topics) {
      for (const partition of topic.partitions) {
        assert.equal(partition.replicas.length, 3, `${topic.name} ${partition.partitionId}`);
      }
    }
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2, name: ORDER_EVENTS, configNames: ["min.insync.replicas"] }],
    });
    assert.equal(configs.resources[0]?.configEntries[0]?.configValue, "2");

    // One order every 20 ms for 16 s, each its own request; node 2 is killed 5 s in.
    const attempts: Attempt[] = [];
    const inFlight: Promise<void>[] = [];
    const victimPort = portOf(stack.brokers[1]!);
    const victim = await pidListeningOn(victimPort);
    const started = Date.now();
    let killedAt = 0;
    for (let index = 0; index < 800; index++) {
      const due = started + index * 20;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
      if (!killedAt && Date.now() - started >= 5_000) {
        Deno.kill(victim, "SIGKILL");
        killedAt = Date.now();
      }
      const sentAt = Date.now();
      inFlight.push((async () => {
        const attempt: Attempt = { sentAt, doneAt: 0, status: 0 };
        try {
          const response = await fetch(`${stack.producer}/order`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({
              user_id: `cluster-${index}`,
              item: ITEMS[index % ITEMS.length],
              quantity: 1,
            }),
            signal: AbortSignal.timeout(30_000),
          });
          const body = await response.json();
          attempt.status = response.status;
          attempt.orderId = body.order_id;
        } catch {
          attempt.status = -1;
        }
        attempt.doneAt = Date.now();
        attempts.push(attempt);
      })());
    }
    await Promise.all(inFlight);
    const acked = attempts.filter((attempt) => attempt.status >= 200 && attempt.status < 300);
    const firstAfter = Math.min(
      ...acked.filter((attempt) => attempt.sentAt >= killedAt).map((attempt) => attempt.doneAt),
    );
    const resumedAfterMs = firstAfter - killedAt;
    const refused = attempts.length - acked.length;
    console.log(
      `kill -9 of broker 2: ${acked.length} of ${attempts.length} orders acknowledged, ` +
        `${refused} refused; acknowledgements of orders sent after the kill resumed ` +
        `${(resumedAfterMs / 1000).toFixed(1)} s after it`,
    );
    assert.ok(resumedAfterMs < 15_000, `acknowledgements resumed only after ${resumedAfterMs} ms`);
    const lastSecond = attempts.filter((attempt) => attempt.sentAt >= started + 15_000);
    assert.deepEqual(
      lastSecond.filter((attempt) => attempt.status !== 202).map((attempt) => attempt.status),
      [],
      "the orders of the last second, 10 s after the kill, are all acknowledged",
    );

    // Every acknowledged order is decided exactly once; refused ones may or may not be.
    await inventorySettled(stack.inventories);
    const decisions = (await readToEnd(kafka, INVENTORY_EVENTS))
      .map((record) => InventoryEvent.parse(JSON.parse(record.value ?? "")));
    const perOrder = new Map<string, number>();
    for (const event of decisions) {
      perOrder.set(event.order_id, (perOrder.get(event.order_id) ?? 0) + 1);
    }
    const lost = acked.filter((attempt) => !perOrder.has(attempt.orderId!));
    const doubled = [...perOrder.values()].filter((count) => count > 1);
    assert.deepEqual({ lost: lost.length, doubled: doubled.length }, { lost: 0, doubled: 0 });
    await analyticsAgree(stack.analytics, perOrder.size);

    // up starts the killed node again, and it catches up: back in every partition's ISR.
    assert.ok(stack.lines.some((line) => line.includes("kafka-2 exited unexpectedly")));
    await eventually(
      "up to start broker 2 again",
      () => stack.lines.some((line) => line.includes("kafka-2 is back on")) || undefined,
      { timeoutMs: 90_000 },
    );
    await eventually("broker 2 back in the in-sync replicas of every partition", async () => {
      const metadata = await admin.fetchTopicMetadata({ topics });
      return metadata.topics.every((topic) =>
          topic.partitions.every((partition) => partition.isr.includes(2))
        )
        ? true
        : undefined;
    }, { timeoutMs: 90_000, intervalMs: 500 });
    console.log(
      `broker 2, started again by up, in sync ${
        ((Date.now() - killedAt) / 1000).toFixed(1)
      } s after the kill`,
    );
  });
});
