/**
 * The lab's Kafka shutdown scenario, as the README tells it: Kafka in one terminal
 * (`deno task broker`), the services in another (`deno task up` against it), Ctrl-C on Kafka while
 * orders keep coming, Kafka started again. Orders taken meanwhile are queued (202) and every order
 * is counted once Kafka is back.
 */
import assert from "node:assert/strict";
import { OrderPlaced } from "@campus/shared/events/order_placed";
import { ORDER_EVENTS } from "@campus/shared/topics";
import {
  canStartProcesses,
  eventually,
  GiveUp,
  kafkaClientAllowed,
  readToEnd,
  testKafka,
} from "./_support.ts";
import { startTerminalJob, type TerminalJob } from "./_processes.ts";

const KAFKA = {
  KAFKA_PORT: "18692",
  KAFKA_CONTROLLER_PORT: "18693",
  KAFKA_DATA_DIR: ".data/scenario/kafka",
  KAFKA_HEAP: "512m",
};
const SERVICES = { PRODUCER_PORT: "15141", INVENTORY_PORT: "15142", ANALYTICS_PORT: "15143" };
const PRODUCER = "http://127.0.0.1:15141";
const ANALYTICS = "http://127.0.0.1:15143";
const ITEMS = ["pizza", "soup", "salad", "curry"];

async function waitForLine(job: TerminalJob, pattern: RegExp, what: string): Promise<void> {
  let exited = false;
  job.status.then(() => exited = true);
  await eventually(what, () => {
    if (exited) throw new GiveUp(`exited before ${what}:\n${job.lines.slice(-30).join("\n")}`);
    return job.lines.some((line) => pattern.test(line)) || undefined;
  }, { timeoutMs: 120_000, intervalMs: 200, lastSeen: () => job.lines.slice(-3) });
}

/** Ctrl-C in the job's terminal: SIGINT to its whole process group. */
async function ctrlC(job: TerminalJob): Promise<Deno.CommandStatus> {
  Deno.kill(-job.wrapperPid, "SIGINT");
  return await job.status;
}

async function order(user: string, item: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${PRODUCER}/order`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user_id: user, item, quantity: 1 }),
  });
  const body = await response.json();
  assert.equal(response.status, 202, JSON.stringify(body));
  return body;
}

/** `perItem` orders of each item, each item's sent one after the other. */
async function orders(prefix: string, perItem: number): Promise<string[]> {
  const statuses = await Promise.all(ITEMS.map(async (item) => {
    const seen: string[] = [];
    for (let index = 0; index < perItem; index++) {
      seen.push((await order(`${prefix}-${item}-${index}`, item)).status as string);
    }
    return seen;
  }));
  return statuses.flat();
}

async function counted(): Promise<number | undefined> {
  const answer = await fetch(`${ANALYTICS}/metrics`).then((r) => r.json()).catch(() => undefined);
  return answer?.metrics?.total_orders;
}

Deno.test({
  name:
    "the README's Kafka shutdown scenario: Ctrl-C on Kafka, orders are queued, Kafka back, all counted once",
  ignore: !canStartProcesses || !kafkaClientAllowed,
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  await Deno.remove(".data/scenario", { recursive: true }).catch(() => {});
  // Terminal 1: Kafka; terminal 2, once it is up: the services against it.
  let broker = startTerminalJob("broker", KAFKA);
  let up: TerminalJob | undefined;
  try {
    await waitForLine(broker, /Kafka is up on 127\.0\.0\.1:18692/, "Kafka to be up");
    up = startTerminalJob("up", {
      ...KAFKA,
      ...SERVICES,
      KAFKA_BOOTSTRAP_SERVERS: `127.0.0.1:${KAFKA.KAFKA_PORT}`,
    });
    await waitForLine(up, /Ctrl-C stops everything/, "the services to be up");
    assert.deepEqual(new Set(await orders("before", 5)), new Set(["accepted"]));

    assert.equal((await ctrlC(broker)).code, 0, "Kafka stops cleanly on Ctrl-C");
    // Orders keep being taken: each item's first may wait out the deadline, then all are queued.
    assert.deepEqual(new Set(await orders("during", 25)), new Set(["queued"]));
    const ready = await fetch(`${PRODUCER}/ready`);
    assert.equal(ready.status, 503);
    assert.equal((await ready.json()).outbox.depth, 100);

    broker = startTerminalJob("broker", KAFKA);
    await waitForLine(broker, /Kafka is up on/, "Kafka to be up again");
    await eventually("analytics to count all 120 orders", async () => {
      const total = await counted();
      if (total !== undefined && total > 120) throw new Error(`${total} counted, more than sent`);
      return total === 120 || undefined;
    }, { timeoutMs: 90_000, intervalMs: 500, lastSeen: counted });
    const after = await (await fetch(`${PRODUCER}/ready`)).json();
    assert.equal(after.outbox.depth, 0);
    assert.deepEqual(new Set(await orders("after", 1)), new Set(["accepted"]));
    await eventually(
      "the last orders to be counted",
      async () => await counted() === 124 || undefined,
    );

    // The relay wrote each queued order once: no consumer had to drop a repeat.
    const kafka = await testKafka("scenario-test", [`127.0.0.1:${KAFKA.KAFKA_PORT}`]);
    const users = (await readToEnd(kafka, ORDER_EVENTS)).map((record) =>
      OrderPlaced.parse(JSON.parse(record.value ?? "null")).user_id
    );
    assert.equal(users.length, 124);
    assert.equal(new Set(users).size, 124, "every order on order-events once");

    assert.equal((await ctrlC(up)).code, 0);
    assert.equal((await ctrlC(broker)).code, 0);
  } catch (error) {
    console.error(
      `up:\n${up?.lines.slice(-40).join("\n")}\nbroker:\n${broker.lines.slice(-20).join("\n")}`,
    );
    throw error;
  } finally {
    await up?.[Symbol.asyncDispose]();
    await broker[Symbol.asyncDispose]();
  }
});
