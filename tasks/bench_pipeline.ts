/**
 * `deno task bench:pipeline`: end-to-end latency under sustained open-loop load, on a broker and
 * services of its own. See USAGE.
 */
import { parseArgs } from "node:util";
import { createKafka, ensureTopics } from "@campus/shared/kafka";
import { createLogger } from "@campus/shared/log";
import { poll } from "@campus/shared/timing";
import { TOPICS } from "@campus/shared/topics";
import { buildPost } from "./load/http1.ts";
import { formatTable, percentile } from "./load/stats.ts";
import { type OwnService, startOwnBroker, startOwnService } from "./own_processes.ts";
import { latencyChart } from "./pipeline/chart.ts";
import { type KafkaCeiling, measureKafkaCeiling } from "./pipeline/ceiling.ts";
import { runOpenLoop } from "./pipeline/open_loop.ts";
import { PipelineTracker } from "./pipeline/tracker.ts";
import { pidOfListener, rssOfListener } from "./lib/rss.ts";
import { cpuSecondsOf, machineBusySeconds } from "./lib/cpu.ts";

const USAGE = `Usage: ./denow task bench:pipeline [options]

Starts a broker and the three services of its own (broker 127.0.0.1:18892, services 16201-16203),
measures Kafka's own ceiling on this machine (ProducerPerformance and ConsumerPerformance), then
sends orders open loop (each at its planned time, latency counted from that time) at each rate of a
ladder, and reports per step: achieved rate, errors, p50/p90/p99/max of the time to 202, to the
decision committed on inventory-events, and to analytics having counted it (its group's committed
offset past the decision), the peak RSS of every process, and the CPU each process used per order
(this benchmark's own load client and tracker included) with how busy the machine's cores were.
Writes the table (JSON) and a latency-vs-throughput chart (SVG) to --out.

  --ladder RATES        orders/s of each step (default 1000,2000,5000,10000,15000,20000; "none"
                        for none)
  --step-seconds N      length of each step (default 15)
  --hold RATE:SECONDS   one more step held longer (default 2000:60; "none" for none)
  --warmup RATE:SECONDS orders sent first and not reported (default 2000:30): the broker's JIT
                        compiler alone took 15 s of CPU in its first minute, and without a
                        warm-up the first steps measured the compiler more than the pipeline
  --connections N       keep-alive connections of the load client (default 256)
  --growth SIZES        then grow the history to each size (e.g. 100000,250000,500000,1000000):
                        RSS of each process, inventory restart (restore) time, analytics replay time.
                        Sizes count every order in the log, the ladder's too (nearly 1,000,000 with
                        the default ladder, so smaller sizes are then measured at that count);
                        for a curve from 100,000 run it alone: --ladder none --hold none
  --no-ceiling          skip Kafka's own tools
  --out DIR             where results go (default .data/bench/pipeline)`;

const { values } = parseArgs({
  args: Deno.args,
  options: {
    ladder: { type: "string", default: "1000,2000,5000,10000,15000,20000" },
    "step-seconds": { type: "string", default: "15" },
    hold: { type: "string", default: "2000:60" },
    warmup: { type: "string", default: "2000:30" },
    connections: { type: "string", default: "256" },
    growth: { type: "string" },
    "no-ceiling": { type: "boolean" },
    out: { type: "string", default: ".data/bench/pipeline" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(USAGE);
  Deno.exit(0);
}

const BROKER_PORT = 18892;
const PORTS = { producer: 16201, inventory: 16202, analytics: 16203 };
const ITEMS = ["pizza", "burger", "pasta", "taco", "salad", "curry", "soup", "sushi", "lobster"];
const PREFIX = "pl";
const out = values.out;
const steps: { rate: number; seconds: number }[] = values.ladder === "none"
  ? []
  : values.ladder.split(",").map((rate) => ({
    rate: Number(rate),
    seconds: Number(values["step-seconds"]),
  }));
if (values.hold !== "none") {
  const [rate, seconds] = values.hold.split(":").map(Number);
  steps.push({ rate: rate!, seconds: seconds! });
}
const [warmupRate, warmupSeconds] = values.warmup.split(":").map(Number);
if (!(warmupRate! > 0 && warmupSeconds! > 0)) {
  console.error(`--warmup must be RATE:SECONDS, e.g. 2000:30, got "${values.warmup}"`);
  Deno.exit(2);
}
const growth = values.growth?.split(",").map(Number) ?? [];
const say = (line: string) => console.log(`bench:pipeline | ${line}`);

await Deno.mkdir(out, { recursive: true });
await Deno.remove(".data/bench-pipeline", { recursive: true }).catch(() => {});
await Deno.mkdir(".data/bench-pipeline", { recursive: true });
const menuFile = ".data/bench-pipeline/menu.json";
await Deno.writeTextFile(
  menuFile,
  JSON.stringify(Object.fromEntries(ITEMS.map((item) => [item, 100_000_000]))),
);

say("starting a broker of its own");
await using broker = await startOwnBroker(BROKER_PORT);
const quiet = createLogger({ service: "bench", level: "error", write: () => {} });
const kafka = createKafka({
  clientId: "bench-pipeline",
  brokers: [broker.bootstrap],
  logger: quiet,
});
{
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(
    admin,
    [
      ...TOPICS,
      { name: "perf-ceiling", partitions: 6, config: {} },
    ],
  );
  await admin.disconnect();
}

let ceiling: KafkaCeiling | undefined;
if (!values["no-ceiling"]) {
  say(
    "Kafka's own ceiling: ProducerPerformance then ConsumerPerformance, 500,000 records of 250 bytes",
  );
  ceiling = await measureKafkaCeiling(broker.bootstrap, "perf-ceiling", 500_000, 250);
  say(
    `ProducerPerformance ${Math.round(ceiling.producerPerSecond).toLocaleString("en-US")}/s ` +
      `(avg ${ceiling.producerAvgLatencyMs} ms), ConsumerPerformance ` +
      `${Math.round(ceiling.consumerPerSecond).toLocaleString("en-US")}/s`,
  );
}

const common = { KAFKA_BOOTSTRAP_SERVERS: broker.bootstrap, LOG_LEVEL: "warn" };
const inventoryEnv = {
  ...common,
  INVENTORY_PORT: String(PORTS.inventory),
  INVENTORY_FILE: menuFile,
};
const url = (port: number) => `http://127.0.0.1:${port}`;
let inventory: OwnService = await startOwnService("inventory", {
  env: inventoryEnv,
  url: url(PORTS.inventory),
});
await using _analytics = await startOwnService("analytics", {
  env: {
    ...common,
    ANALYTICS_PORT: String(PORTS.analytics),
    DASHBOARD_INVENTORY_URL: url(PORTS.inventory),
    DASHBOARD_PRODUCER_URL: url(PORTS.producer),
  },
  url: url(PORTS.analytics),
});
await using _producer = await startOwnService("producer", {
  env: {
    ...common,
    PRODUCER_PORT: String(PORTS.producer),
    ORDER_OUTBOX_DIR: ".data/bench-pipeline/outbox",
  },
  url: url(PORTS.producer),
});
const ready = async (port: number) => {
  const response = await fetch(`${url(port)}/ready`).catch(() => undefined);
  await response?.body?.cancel();
  return response?.status === 200 || undefined;
};
for (const port of Object.values(PORTS)) {
  await poll(`${port} to be ready`, () => ready(port), { timeoutMs: 60_000, intervalMs: 200 });
}

/** Peak RSS (MiB) of each process while a step runs, sampled every 500 ms. */
const LISTENERS = {
  producer: PORTS.producer,
  inventory: PORTS.inventory,
  analytics: PORTS.analytics,
  broker: BROKER_PORT,
};
const peaks = new Map<string, number>();
const sampler = setInterval(async () => {
  for (const [name, port] of Object.entries(LISTENERS)) {
    const rss = await rssOfListener(port);
    if (rss !== undefined) peaks.set(name, Math.max(peaks.get(name) ?? 0, rss));
  }
}, 500);

const tracker = new PipelineTracker(kafka, PREFIX);
await tracker.start();

/** The processes whose CPU time each step reads: the four listeners and this one. */
const PIDS = new Map<string, number>([["bench", Deno.pid]]);
for (const [name, port] of Object.entries(LISTENERS)) {
  const pid = await pidOfListener(port);
  if (pid !== undefined) PIDS.set(name, pid);
}
const CPU_NAMES = ["producer", "inventory", "analytics", "broker", "bench"];
const CORES = navigator.hardwareConcurrency;

interface CpuSnapshot {
  atMs: number;
  machineSeconds: number;
  seconds: Map<string, number>;
}
async function cpuSnapshot(): Promise<CpuSnapshot> {
  const seconds = new Map<string, number>();
  for (const [name, pid] of PIDS) {
    const used = await cpuSecondsOf(pid);
    if (used !== undefined) seconds.set(name, used);
  }
  return { atMs: performance.now(), machineSeconds: await machineBusySeconds(), seconds };
}

/** What a step cost: CPU µs per accepted order of each process, and the cores' busy share. */
interface StepCpu {
  microsecondsPerOrder: Record<string, number>;
  machineBusyPercent: number;
}
function cpuBetween(before: CpuSnapshot, after: CpuSnapshot, orders: number): StepCpu {
  const microsecondsPerOrder: Record<string, number> = {};
  for (const [name, seconds] of after.seconds) {
    const start = before.seconds.get(name);
    if (start !== undefined) microsecondsPerOrder[name] = (seconds - start) * 1e6 / orders;
  }
  const wallSeconds = (after.atMs - before.atMs) / 1000;
  return {
    microsecondsPerOrder,
    machineBusyPercent: 100 * (after.machineSeconds - before.machineSeconds) / wallSeconds / CORES,
  };
}

function plan(step: number) {
  return (index: number) =>
    buildPost(
      `127.0.0.1:${PORTS.producer}`,
      "/order",
      `{"user_id":"${PREFIX}-${step}-${index}","item":"${
        ITEMS[index % ITEMS.length]
      }","quantity":1}`,
    );
}

interface StepResult {
  step: number;
  targetRate: number;
  seconds: number;
  sent: number;
  achievedRate: number;
  errors: number;
  ack: number[];
  decided: number[];
  counted: number[];
  decisionToCount: number[];
  undecided: number;
  uncounted: number;
  rssMiB: Record<string, number>;
  cpu: StepCpu;
}

const QUANTILES = [0.5, 0.9, 0.99, 1];
function quantiles(values: number[]): number[] {
  const sorted = Float64Array.from(values).sort();
  return QUANTILES.map((q) => sorted.length === 0 ? Number.NaN : percentile(sorted, q));
}

async function runStep(step: number, rate: number, seconds: number): Promise<StepResult> {
  const total = Math.round(rate * seconds);
  const times = tracker.expect(step, total);
  peaks.clear();
  say(`step ${step}: ${rate.toLocaleString("en-US")} orders/s for ${seconds} s`);
  const cpuBefore = await cpuSnapshot();
  const result = await runOpenLoop({
    rate,
    seconds,
    hostname: "127.0.0.1",
    port: PORTS.producer,
    connections: Number(values.connections),
    plan: plan(step),
  });
  const accepted = [...result.status].filter((status) => status === 202).length;
  // Everything answered 202 is decided and counted, unless something is lost or stuck.
  await poll(`step ${step} to be counted`, () => times.counted >= accepted || undefined, {
    timeoutMs: 60_000,
    intervalMs: 100,
  }).catch(() => say(`step ${step}: ${accepted - times.counted} orders not counted in 60 s`));
  // From the first order sent until the last one counted: the whole cost of the step's orders.
  const cpu = cpuBetween(cpuBefore, await cpuSnapshot(), Math.max(1, accepted));
  const ack: number[] = [];
  const decided: number[] = [];
  const counted: number[] = [];
  const decisionToCount: number[] = [];
  let firstDue = Number.POSITIVE_INFINITY;
  let lastAnswer = 0;
  for (let index = 0; index < total; index++) {
    if (result.status[index] !== 202) continue;
    const due = result.dueAt[index]!;
    firstDue = Math.min(firstDue, due);
    lastAnswer = Math.max(lastAnswer, result.answeredAt[index]!);
    ack.push(result.answeredAt[index]! - due);
    const decidedAt = times.decidedAt[index]!;
    const countedAt = times.countedAt[index]!;
    if (!Number.isNaN(decidedAt)) decided.push(decidedAt - due);
    if (!Number.isNaN(countedAt)) counted.push(countedAt - due);
    if (!Number.isNaN(decidedAt) && !Number.isNaN(countedAt)) {
      decisionToCount.push(countedAt - decidedAt);
    }
  }
  return {
    step,
    targetRate: rate,
    seconds,
    sent: total,
    achievedRate: accepted / Math.max(0.001, (lastAnswer - firstDue) / 1000),
    errors: total - accepted,
    ack: quantiles(ack),
    decided: quantiles(decided),
    counted: quantiles(counted),
    decisionToCount: quantiles(decisionToCount),
    undecided: accepted - times.decided,
    uncounted: accepted - times.counted,
    rssMiB: Object.fromEntries(peaks),
    cpu,
  };
}

if (steps.length > 0) {
  say(`warm-up: ${warmupRate!.toLocaleString("en-US")} orders/s for ${warmupSeconds} s`);
  await runStep(0, warmupRate!, warmupSeconds!);
}
const results: StepResult[] = [];
for (const [index, { rate, seconds }] of steps.entries()) {
  results.push(await runStep(index + 1, rate, seconds));
}

if (results.length > 0) {
  const fmt = (ms: number) =>
    Number.isNaN(ms) ? "-" : ms < 10 ? ms.toFixed(1) : Math.round(ms).toLocaleString("en-US");
  const triple = (values: number[]) => values.map(fmt).join(" / ");
  console.log(
    `\nOpen-loop ladder (latency from each order's planned send time, ms: p50 / p90 / p99 / max)\n`,
  );
  console.log(formatTable(
    [
      "target/s",
      "s",
      "achieved/s",
      "not 202 / not counted",
      "to 202",
      "to decided",
      "to counted",
      "decided→counted",
      "peak RSS MiB (prod/inv/ana/broker)",
      "CPU µs/order (prod/inv/ana/broker/bench)",
      "cores busy",
    ],
    results.map((r) => [
      r.targetRate.toLocaleString("en-US"),
      String(r.seconds),
      Math.round(r.achievedRate).toLocaleString("en-US"),
      `${r.errors} / ${r.uncounted}`,
      triple(r.ack),
      triple(r.decided),
      triple(r.counted),
      triple(r.decisionToCount),
      ["producer", "inventory", "analytics", "broker"].map((name) => r.rssMiB[name] ?? "-").join(
        " / ",
      ),
      CPU_NAMES.map((name) => {
        const micros = r.cpu.microsecondsPerOrder[name];
        return micros === undefined ? "-" : Math.round(micros).toLocaleString("en-US");
      }).join(" / "),
      `${Math.round(r.cpu.machineBusyPercent)} %`,
    ]),
  ));
  const sustained = results.filter((r) =>
    r.errors === 0 && r.uncounted === 0 && r.achievedRate >= 0.95 * r.targetRate &&
    r.counted[2]! < 1000
  );
  const best = Math.max(0, ...sustained.map((r) => r.achievedRate));
  if (ceiling) {
    console.log(
      `\nKafka's own ceiling here: ProducerPerformance ${
        Math.round(ceiling.producerPerSecond).toLocaleString("en-US")
      }/s, ConsumerPerformance ${
        Math.round(ceiling.consumerPerSecond).toLocaleString("en-US")
      }/s.` +
        ` Highest rate sustained end to end (no error, 95 % of target, p99 to counted < 1 s): ` +
        `${Math.round(best).toLocaleString("en-US")}/s = ${
          (100 * best / ceiling.producerPerSecond).toFixed(1)
        } % of the producer ceiling.`,
    );
  }

  const chart = latencyChart(
    "Campus orders on 2 cores: latency from planned send time vs achieved orders/s",
    // p50 in a light colour, p99 dashed in a dark one, for each of the three latencies.
    ([
      ["202", (r: StepResult) => r.ack, "#7aa6e8", "#1f5fbf"],
      ["decided", (r: StepResult) => r.decided, "#f0a35e", "#c2600f"],
      ["counted", (r: StepResult) => r.counted, "#7cc47c", "#2e8b2e"],
    ] as const).flatMap(([label, latencies, light, dark]) =>
      ([[0, "p50", light, false], [2, "p99", dark, true]] as const).map(
        ([index, quantile, color, dashed]) => ({
          name: `${label} ${quantile}`,
          color,
          ...(dashed ? { dashed } : {}),
          points: results
            .map((r) => ({ rate: r.achievedRate, ms: latencies(r)[index]! }))
            .filter((point) => Number.isFinite(point.ms)),
        }),
      )
    ),
  );
  await Deno.writeTextFile(`${out}/latency.svg`, chart);
  say(`wrote ${out}/latency.svg`);
}

interface GrowthRow {
  orders: number;
  rssMiB: Record<string, number>;
  restoreSeconds: number;
  replaySeconds: number;
}
const growthRows: GrowthRow[] = [];
if (growth.length > 0) {
  clearInterval(sampler);
  await tracker.stop();
  const metrics = async () =>
    (await (await fetch(`${url(PORTS.analytics)}/metrics`)).json()).metrics.total_orders as number;
  let placed = await metrics();
  for (const size of growth) {
    say(`growing the history to ${size.toLocaleString("en-US")} orders`);
    while (placed < size) {
      const count = Math.min(1000, size - placed);
      const orders = Array.from({ length: count }, (_, offset) => ({
        user_id: `growth-${placed + offset}`,
        item: ITEMS[(placed + offset) % ITEMS.length],
        quantity: 1,
      }));
      const response = await fetch(`${url(PORTS.producer)}/orders/batch`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ orders }),
      });
      await response.body?.cancel();
      if (response.status === 202) placed += count;
      else await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await poll(`analytics to count ${size}`, async () => await metrics() >= size || undefined, {
      timeoutMs: 600_000,
      intervalMs: 500,
    });
    // What the log holds now: more than `size` where the ladder had already placed more.
    const orders = await metrics();
    const rssMiB: Record<string, number> = {};
    for (const [name, port] of Object.entries(LISTENERS)) {
      rssMiB[name] = (await rssOfListener(port)) ?? Number.NaN;
    }
    // Inventory restarted: from the spawn until it is ready (its stock and decided ids restored).
    await inventory[Symbol.asyncDispose]();
    const restartAt = performance.now();
    inventory = await startOwnService("inventory", {
      env: inventoryEnv,
      url: url(PORTS.inventory),
    });
    await poll("inventory to be ready", () => ready(PORTS.inventory), {
      timeoutMs: 600_000,
      intervalMs: 50,
    });
    const restoreSeconds = (performance.now() - restartAt) / 1000;
    const replayAt = performance.now();
    const replay = await fetch(`${url(PORTS.analytics)}/replay?wait=true`, {
      method: "POST",
      headers: { "content-type": "application/json" },
    });
    await replay.body?.cancel();
    if (replay.status !== 200) throw new Error(`replay answered ${replay.status}`);
    const replaySeconds = (performance.now() - replayAt) / 1000;
    growthRows.push({ orders, rssMiB, restoreSeconds, replaySeconds });
    say(
      `${orders.toLocaleString("en-US")} orders: inventory restored in ${
        restoreSeconds.toFixed(1)
      } s, ` +
        `analytics replayed in ${replaySeconds.toFixed(1)} s, RSS ${JSON.stringify(rssMiB)}`,
    );
  }
  console.log("\nGrowth: the same pipeline as its history grows\n");
  console.log(formatTable(
    [
      "orders",
      "producer MiB",
      "inventory MiB",
      "analytics MiB",
      "broker MiB",
      "inventory restart s",
      "analytics replay s",
    ],
    growthRows.map((row) => [
      row.orders.toLocaleString("en-US"),
      String(row.rssMiB.producer),
      String(row.rssMiB.inventory),
      String(row.rssMiB.analytics),
      String(row.rssMiB.broker),
      row.restoreSeconds.toFixed(1),
      row.replaySeconds.toFixed(1),
    ]),
  ));
}

await Deno.writeTextFile(
  `${out}/results.json`,
  JSON.stringify({ ceiling, steps: results, growth: growthRows }, null, 2) + "\n",
);
say(`wrote ${out}/results.json`);
clearInterval(sampler);
if (growth.length === 0) await tracker.stop();
await inventory[Symbol.asyncDispose]();
Deno.exit(0);
