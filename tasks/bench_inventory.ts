/**
 * `deno task bench:inventory`: exactly-once consume-transform-produce throughput of the inventory
 * service on a pre-filled order-events of N orders (default 100,000), against a baseline in the
 * same run: a plain kafkajs pipe copying the same messages without parsing or transactions.
 * Runs on a broker of its own (port 19392), so it never touches a running stack.
 *
 *   deno task bench:inventory [--orders 100000]
 */
import { parseArgs } from "node:util";
import { createKafka, ensureTopics } from "@campus/shared/kafka";
import { createLogger } from "@campus/shared/log";
import { poll } from "@campus/shared/timing";
import { DEFAULT_EVENT_PARTITIONS, ORDER_EVENTS, TOPICS } from "@campus/shared/topics";
import { onStopRequest } from "./lib/entry.ts";
import { fillOrders } from "./lib/orders.ts";
import { startOwnBroker, startOwnService } from "./own_processes.ts";
import { wholeNumberOption } from "./lib/cli.ts";
import { formatTable } from "./load/stats.ts";

const { values: args } = parseArgs({
  options: { orders: { type: "string", default: "100000" }, help: { type: "boolean", short: "h" } },
});
if (args.help) {
  console.log(
    "Usage: ./denow task bench:inventory [--orders 100000]\n\nExactly-once throughput of the inventory service on a pre-filled order-events of N orders on a\nbroker of its own (127.0.0.1:19392), against a plain kafkajs pipe in the same run.",
  );
  Deno.exit(0);
}
const count = wholeNumberOption("orders", args.orders);
const say = (line: string) => console.error(`bench | ${line}`);
onStopRequest("bench", () => Deno.exit(130));
const quiet = createLogger({ service: "bench", level: "error", write: () => {} });

async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  await poll(what, async () => await check() || undefined, { timeoutMs });
}

say("starting a broker of its own on 127.0.0.1:19392");
await using broker = await startOwnBroker(19392);
const kafka = createKafka({ clientId: "bench", brokers: [broker.bootstrap], logger: quiet });
const admin = kafka.admin();
await admin.connect();
await ensureTopics(admin, TOPICS);
await admin.createTopics({
  waitForLeaders: true,
  topics: [{ topic: "bench-baseline-out", numPartitions: DEFAULT_EVENT_PARTITIONS }],
});

const menu = JSON.parse(await Deno.readTextFile("services/inventory/menu.json")) as Record<
  string,
  number
>;
const items = [...Object.keys(menu), "lobster"]; // one unknown item, so every outcome occurs
say(`writing ${count.toLocaleString("en-US")} OrderPlaced events to ${ORDER_EVENTS}`);
await fillOrders(kafka, { count, items });
const end = (await admin.fetchTopicOffsets(ORDER_EVENTS)).reduce(
  (sum, entry) => sum + Number(entry.high),
  0,
);

async function committed(groupId: string): Promise<number> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [ORDER_EVENTS] });
  return (entry?.partitions ?? []).reduce(
    (sum, partition) => sum + Math.max(0, Number(partition.offset)),
    0,
  );
}

// Baseline: the same messages through kafkajs with no parsing and no transactions.
say("baseline: plain kafkajs consume → produce, at-least-once");
const pipeProducer = kafka.producer();
const pipe = kafka.consumer({ groupId: "bench-baseline", maxWaitTimeInMs: 100 });
await Promise.all([pipeProducer.connect(), pipe.connect()]);
await pipe.subscribe({ topic: ORDER_EVENTS, fromBeginning: true });
const baselineStart = performance.now();
await pipe.run({
  partitionsConsumedConcurrently: DEFAULT_EVENT_PARTITIONS,
  eachBatch: async ({ batch }) => {
    await pipeProducer.send({
      topic: "bench-baseline-out",
      messages: batch.messages.map((message) => ({
        key: message.key,
        value: message.value,
        partition: batch.partition,
      })),
    });
  },
});
await waitFor(
  "the baseline to copy every message",
  async () => (await committed("bench-baseline")) >= end,
  300_000,
);
const baselineSeconds = (performance.now() - baselineStart) / 1000;
await pipe.disconnect();
await pipeProducer.disconnect();

say("inventory service: exactly-once, one transaction per chunk");
const serviceStart = performance.now();
await using inventory = await startOwnService("inventory", {
  env: { KAFKA_BOOTSTRAP_SERVERS: broker.bootstrap, INVENTORY_PORT: "15202" },
  url: "http://127.0.0.1:15202",
});
let firstProgressAt = 0;
await waitFor("the inventory service to decide every order", async () => {
  const done = await committed("inventory-service");
  if (done > 0 && firstProgressAt === 0) firstProgressAt = performance.now();
  return done >= end;
}, 600_000);
const finishedAt = performance.now();
const metrics = await (await fetch(`${inventory.url}/metrics`)).text();
// `deno task` runs the service as its child; its peak RSS is what the memory budget is about.
// Read through `cat`: Deno allows reading /proc only with --allow-all.
const procText = async (path: string) =>
  new TextDecoder().decode(
    (await new Deno.Command("cat", { args: [path], stdout: "piped" }).output()).stdout,
  );
const servicePid =
  (await procText(`/proc/${inventory.pid}/task/${inventory.pid}/children`)).trim().split(" ")[0];
const rss =
  Number((await procText(`/proc/${servicePid}/status`)).match(/VmHWM:\s+(\d+)/)?.[1] ?? NaN) / 1024;
await admin.disconnect();

const serviceSeconds = (finishedAt - serviceStart) / 1000;
const steadySeconds = (finishedAt - firstProgressAt) / 1000;
const rate = (seconds: number) => Math.round(end / seconds).toLocaleString("en-US");
console.log(
  `\nInventory exactly-once throughput: ${end.toLocaleString("en-US")} orders, ${
    new Date().toISOString()
  }, ${navigator.hardwareConcurrency} cores\n`,
);
console.log(formatTable(["pipeline", "seconds", "orders/s"], [
  [
    "baseline: kafkajs pipe, no parsing, at-least-once",
    baselineSeconds.toFixed(2),
    rate(baselineSeconds),
  ],
  ["inventory: start-up + restore + all orders", serviceSeconds.toFixed(2), rate(serviceSeconds)],
  ["inventory: first commit → last commit", steadySeconds.toFixed(2), rate(steadySeconds)],
]));
console.log(
  `\nInventory reaches ${
    (100 * baselineSeconds / steadySeconds).toFixed(0)
  }% of the baseline's throughput; peak RSS ${rss.toFixed(0)} MiB.`,
);
for (
  const line of metrics.split("\n").filter((line) =>
    /^inventory_(results|duplicates|dead_letters|transactions)/.test(line)
  )
) {
  console.log(`  ${line}`);
}
