/**
 * `deno task load`: measures the producer service under load and, in the same run, a bare
 * `Deno.serve` JSON endpoint with the same requests, and prints both with their ratio.
 *
 *   deno task load [--url http://127.0.0.1:5001] [--scenario all|concurrent|sequential|batch]
 *                  [--requests 20000] [--concurrency 64] [--sequential 2000]
 *                  [--batches 100] [--batch-size 1000] [--batch-concurrency 4] [--no-baseline]
 */
import { parseArgs } from "node:util";
import { wholeNumberOption } from "./lib/cli.ts";
import { buildPost } from "./load/http1.ts";
import { type LoadResult, runLoad } from "./load/run.ts";
import { formatTable, type LoadSummary, progressBar, summarize } from "./load/stats.ts";

const { values: args } = parseArgs({
  options: {
    url: { type: "string", default: "http://127.0.0.1:5001" },
    scenario: { type: "string", default: "all" },
    requests: { type: "string", default: "20000" },
    concurrency: { type: "string", default: "64" },
    sequential: { type: "string", default: "2000" },
    batches: { type: "string", default: "100" },
    "batch-size": { type: "string", default: "1000" },
    "batch-concurrency": { type: "string", default: "4" },
    "no-baseline": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (args.help) {
  console.log(
    "Usage: deno task load [--url URL] [--scenario all|concurrent|sequential|batch] [--requests N]\n" +
      "  [--concurrency N] [--sequential N] [--batches N] [--batch-size N] [--batch-concurrency N] [--no-baseline]",
  );
  Deno.exit(0);
}

const producerUrl = args.url.replace(/\/$/, "");
const requests = wholeNumberOption("requests", args.requests);
const concurrency = wholeNumberOption("concurrency", args.concurrency);
const sequential = wholeNumberOption("sequential", args.sequential);
const batches = wholeNumberOption("batches", args.batches);
const batchSize = wholeNumberOption("batch-size", args["batch-size"]);
const batchConcurrency = wholeNumberOption("batch-concurrency", args["batch-concurrency"]);
const items = ["pizza", "burger", "salad", "sushi", "pasta", "soup", "taco", "curry"];
const orderBody = (index: number) =>
  JSON.stringify({
    user_id: `load-${index % 1000}`,
    item: items[index % items.length],
    quantity: 1 + (index % 3),
  });
const batchBody = (index: number) =>
  JSON.stringify({
    orders: Array.from({ length: batchSize }, (_, at) =>
      JSON.parse(orderBody(index * batchSize + at))),
  });

interface Scenario {
  name: string;
  path: string;
  total: number;
  concurrency: number;
  body: (index: number) => string;
  ordersPerRequest: number;
}

const scenarios: Scenario[] = [
  {
    name: `concurrent (${concurrency} conns)`,
    path: "/order",
    total: requests,
    concurrency,
    body: orderBody,
    ordersPerRequest: 1,
  },
  {
    name: "sequential (1 conn)",
    path: "/order",
    total: sequential,
    concurrency: 1,
    body: orderBody,
    ordersPerRequest: 1,
  },
  {
    name: `batch of ${batchSize} (${batchConcurrency} conns)`,
    path: "/orders/batch",
    total: batches,
    concurrency: batchConcurrency,
    body: batchBody,
    ordersPerRequest: batchSize,
  },
].filter((scenario) => args.scenario === "all" || scenario.name.startsWith(args.scenario));
if (scenarios.length === 0) {
  console.error(`--scenario must be all, concurrent, sequential or batch, got "${args.scenario}"`);
  Deno.exit(2);
}

const encoder = new TextEncoder();
const interactive = Deno.stderr.isTerminal();

async function measure(label: string, baseUrl: string, scenario: Scenario): Promise<LoadResult> {
  const { hostname, port, host } = new URL(baseUrl);
  const requests = Array.from(
    { length: Math.min(scenario.total, 1000) },
    (_, index) => buildPost(host, scenario.path, scenario.body(index)),
  );
  const target = {
    hostname,
    port: Number(port || 80),
    plan: (index: number) => requests[index % requests.length]!,
  };
  // Warm up connections and JIT so the measured run is steady state.
  await runLoad({
    ...target,
    total: Math.max(scenario.concurrency, Math.ceil(scenario.total / 10)),
    concurrency: scenario.concurrency,
    expectStatus: 202,
  });
  let lastDraw = 0;
  const result = await runLoad({
    ...target,
    total: scenario.total,
    concurrency: scenario.concurrency,
    expectStatus: 202,
    onProgress: (done) => {
      const now = performance.now();
      if (done !== scenario.total && now - lastDraw < 100) return;
      lastDraw = now;
      const line = `${label.padEnd(10)} ${scenario.name.padEnd(26)} ${
        progressBar(done, scenario.total)
      }`;
      if (interactive) Deno.stderr.writeSync(encoder.encode(`\r${line}`));
      else if (done === scenario.total) Deno.stderr.writeSync(encoder.encode(`${line}\n`));
    },
  });
  if (interactive) Deno.stderr.writeSync(encoder.encode("\n"));
  return result;
}

async function startBaseline(): Promise<{ url: string; stop: () => void }> {
  const worker = new Worker(new URL("./load/baseline_server.ts", import.meta.url), {
    type: "module",
  });
  const port = await new Promise<number>((resolve) =>
    worker.onmessage = (event) => resolve(event.data.port)
  );
  return { url: `http://127.0.0.1:${port}`, stop: () => worker.postMessage("stop") };
}

// A freshly started producer answers /health before it has connected to Kafka: wait a little.
let ready: Response | undefined;
for (
  const deadline = Date.now() + 15_000;
  Date.now() < deadline;
  await new Promise((r) => setTimeout(r, 250))
) {
  ready = await fetch(`${producerUrl}/ready`).catch(() => undefined);
  await ready?.body?.cancel();
  if (ready?.status === 200) break;
}
if (ready?.status !== 200) {
  console.error(
    `The producer at ${producerUrl} is not ready (GET /ready: ${ready?.status ?? "no answer"}). ` +
      "Start it with `deno task up`.",
  );
  Deno.exit(1);
}

const baseline = args["no-baseline"] ? undefined : await startBaseline();
const rows: string[][] = [];
const ms = (value: number) => value.toFixed(2);
const row = (target: string, scenario: Scenario, summary: LoadSummary) => [
  target,
  scenario.name,
  String(summary.requests),
  String(summary.errors),
  Math.round(summary.perSecond).toLocaleString("en-US"),
  ms(summary.p50),
  ms(summary.p90),
  ms(summary.p99),
  ms(summary.max),
];
const ratios: string[] = [];
for (const scenario of scenarios) {
  const producer = await measure("producer", producerUrl, scenario);
  const producerSummary = summarize(producer.latenciesMs, {
    ok: producer.ok,
    seconds: producer.seconds,
    unitsPerRequest: scenario.ordersPerRequest,
  });
  rows.push(row("producer", scenario, producerSummary));
  if (producer.ok !== scenario.total) {
    console.error(`  statuses: ${JSON.stringify(Object.fromEntries(producer.statuses))}`);
  }
  if (baseline) {
    const bare = await measure("baseline", baseline.url, scenario);
    const bareSummary = summarize(bare.latenciesMs, {
      ok: bare.ok,
      seconds: bare.seconds,
      unitsPerRequest: scenario.ordersPerRequest,
    });
    rows.push(row("baseline", scenario, bareSummary));
    ratios.push(
      `${scenario.name}: producer reaches ${
        (100 * producerSummary.perSecond / bareSummary.perSecond).toFixed(0)
      }% of ` +
        `the bare server's throughput; p99 ${(producerSummary.p99 / bareSummary.p99).toFixed(1)}x`,
    );
  }
}
baseline?.stop();

console.log(
  `\nLoad against ${producerUrl} (${
    new Date().toISOString()
  }, ${navigator.hardwareConcurrency} cores)\n`,
);
console.log(
  formatTable([
    "target",
    "scenario",
    "requests",
    "errors",
    "orders/s",
    "p50 ms",
    "p90 ms",
    "p99 ms",
    "max ms",
  ], rows),
);
if (ratios.length > 0) console.log(`\n${ratios.join("\n")}`);
