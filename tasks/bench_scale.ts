/**
 * `deno task bench:scale`: end-to-end throughput with 1 or 3 inventory instances on 1 or 3
 * brokers. For each shape it starts `deno task up --brokers B --scale inventory=I` on ports and
 * data of its own, places `--orders` orders through `POST /orders/batch`, and times how long the
 * producer takes to have them all acknowledged and how long until inventory has decided them all
 * (its lag back to 0). The first shape (1 broker, 1 instance) is the baseline of the others.
 * Also prints each broker's and service's resident memory at the end of its run.
 */
import { parseArgs } from "node:util";
import { poll } from "@campus/shared/timing";
import { type Child, spawnChild } from "./lib/child.ts";
import { formatTable } from "./load/stats.ts";
import { isPortInUse } from "./lib/ports.ts";
import { rssOfListener } from "./lib/rss.ts";
import { wholeNumberOption } from "./lib/cli.ts";

const USAGE = `Usage: ./denow task bench:scale [--orders 20000] [--shapes 1x1,1x3,3x1,3x3]

End-to-end throughput for each shape BROKERSxINVENTORIES: \`deno task up --brokers B --scale
inventory=I\` on ports of its own (brokers from 127.0.0.1:19982, services from 16001), --orders
orders placed through POST /orders/batch, the time until the producer has them all acknowledged
and until inventory has decided them all; the first shape is the baseline of the others. Prints
each process's resident memory at the end of its run.`;

const { values } = parseArgs({
  args: Deno.args,
  options: {
    orders: { type: "string", default: "20000" },
    shapes: { type: "string", default: "1x1,1x3,3x1,3x3" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(USAGE);
  Deno.exit(0);
}
const ORDERS = wholeNumberOption("orders", values.orders);
const SHAPES = values.shapes.split(",").map((shape) => {
  const [brokers, inventories] = shape.split("x").map(Number);
  if (!brokers || !inventories) throw new Error(`A shape is BROKERSxINVENTORIES, got "${shape}"`);
  return { brokers, inventories };
});
const ITEMS = ["pizza", "burger", "pasta", "taco", "salad", "curry", "soup", "sushi", "lobster"];
const KAFKA_PORT = 19982;
const BASE_PORT = 16000;
const producer = `http://127.0.0.1:${BASE_PORT + 1}`;
const inventory = `http://127.0.0.1:${BASE_PORT + 2}`;

async function startUp(brokers: number, inventories: number): Promise<Child> {
  // The previous shape's processes are gone, but their ports may take a moment to be free.
  const ports = [
    ...Array.from({ length: 2 * brokers }, (_, index) => KAFKA_PORT + index),
    ...Array.from({ length: inventories }, (_, index) => BASE_PORT + 2 + 10 * index),
    BASE_PORT + 1,
    BASE_PORT + 3,
  ];
  await poll(
    "the ports to be free",
    () => ports.every((port) => !isPortInUse("127.0.0.1", port)) || undefined,
    {
      timeoutMs: 60_000,
      intervalMs: 250,
    },
  );
  const dataDir = ".data/bench-scale";
  await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  const lines: string[] = [];
  let ready!: () => void;
  const banner = new Promise<void>((resolve) => ready = resolve);
  const child = spawnChild(Deno.execPath(), {
    args: [
      "task",
      "--quiet",
      "up",
      "--brokers",
      String(brokers),
      "--scale",
      `inventory=${inventories}`,
    ],
    env: {
      NO_COLOR: "1",
      KAFKA_BOOTSTRAP_SERVERS: "",
      KAFKA_PORT: String(KAFKA_PORT),
      KAFKA_CONTROLLER_PORT: String(KAFKA_PORT + 1),
      KAFKA_DATA_DIR: `${dataDir}/kafka`,
      PRODUCER_PORT: String(BASE_PORT + 1),
      INVENTORY_PORT: String(BASE_PORT + 2),
      ANALYTICS_PORT: String(BASE_PORT + 3),
    },
    onLine: (line) => {
      lines.push(line);
      if (line.endsWith("| Ctrl-C stops everything.")) ready();
    },
    graceMs: 90_000,
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    banner.then(() => "up"),
    child.status.then(() => "exited"),
    new Promise((resolve) => timer = setTimeout(() => resolve("timeout"), 180_000)),
  ]).finally(() => clearTimeout(timer));
  if (outcome !== "up") {
    await child.stop("SIGINT");
    throw new Error(`up did not start (${outcome}):\n${lines.slice(-80).join("\n")}`);
  }
  return child;
}

async function placeOrders(count: number): Promise<void> {
  for (let start = 0; start < count; start += 1000) {
    const orders = Array.from({ length: Math.min(1000, count - start) }, (_, offset) => ({
      user_id: `bench-${start + offset}`,
      item: ITEMS[(start + offset) % ITEMS.length],
      quantity: 1,
    }));
    const response = await fetch(`${producer}/orders/batch`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ orders }),
    });
    await response.body?.cancel();
    if (response.status !== 202) throw new Error(`A batch was refused: ${response.status}`);
  }
}

async function lag(): Promise<number> {
  const response = await fetch(`${inventory}/lag?fresh=true`);
  return (await response.json()).total;
}

/** Resident memory in MiB of the processes listening on `ports`. */
async function rssOfListeners(ports: number[]): Promise<number[]> {
  const sizes = await Promise.all(ports.map(rssOfListener));
  return sizes.filter((size) => size !== undefined);
}

const rows: string[][] = [];
let baseline: number | undefined;
for (const { brokers, inventories } of SHAPES) {
  console.log(`\n${brokers} broker(s), ${inventories} inventory instance(s): starting...`);
  const up = await startUp(brokers, inventories);
  try {
    await placeOrders(500); // warm-up: connections, producer ids, first transactions
    await poll("the warm-up to be decided", async () => (await lag()) === 0 || undefined, {
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    const started = performance.now();
    await placeOrders(ORDERS);
    const acked = performance.now();
    await poll("every order to be decided", async () => (await lag()) === 0 || undefined, {
      timeoutMs: 300_000,
      intervalMs: 100,
    });
    const decided = performance.now();
    const decidedPerSecond = ORDERS / ((decided - started) / 1000);
    baseline ??= decidedPerSecond;
    const brokerRss = await rssOfListeners(
      Array.from({ length: brokers }, (_, index) => KAFKA_PORT + 2 * index),
    );
    const inventoryRss = await rssOfListeners(
      Array.from({ length: inventories }, (_, index) => BASE_PORT + 2 + 10 * index),
    );
    rows.push([
      String(brokers),
      String(inventories),
      Math.round(ORDERS / ((acked - started) / 1000)).toLocaleString("en-US"),
      Math.round(decidedPerSecond).toLocaleString("en-US"),
      `${(decidedPerSecond / baseline).toFixed(2)}x`,
      brokerRss.join(" + ") + ` = ${brokerRss.reduce((sum, size) => sum + size, 0)}`,
      inventoryRss.join(", "),
    ]);
    console.log(
      `${ORDERS} orders: acknowledged at ${rows.at(-1)![2]}/s, decided at ${rows.at(-1)![3]}/s`,
    );
  } finally {
    await up.stop("SIGINT");
  }
}
console.log(
  `\nEnd to end, ${
    ORDERS.toLocaleString("en-US")
  } orders through POST /orders/batch on this machine ` +
    `(${navigator.hardwareConcurrency} cores):\n`,
);
console.log(formatTable(
  [
    "brokers",
    "inventory instances",
    "acked orders/s",
    "decided orders/s",
    "vs 1x1",
    "broker RSS MiB",
    "inventory RSS MiB",
  ],
  rows,
));
// Each start left a 180 s timer running (now cleared), which likely kept the process alive after
// the table; end here in case anything else of the stopped stacks still does.
Deno.exit(0);
