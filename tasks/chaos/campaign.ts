/**
 * One campaign: a stack of its own, the open-loop load and the nemesis at the same time, then a
 * settle, the topics read back, the checker, and the files of the run (history, schedule,
 * report, chart, logs) under one directory.
 * @module
 */
import type { Kafka } from "kafkajs";
import { createKafka, ensureTopics } from "@campus/shared/kafka";
import { createLogger } from "@campus/shared/log";
import { InventoryEvent } from "@campus/shared/events/inventory";
import { OrderPlaced } from "@campus/shared/events/order_placed";
import { poll, sleep } from "@campus/shared/timing";
import {
  DEFAULT_EVENT_PARTITIONS,
  INVENTORY_EVENTS,
  ORDER_EVENTS,
  TOPICS,
} from "@campus/shared/topics";
import { waitForOk } from "../lib/health.ts";
import { readToEnd } from "../lib/read_topic.ts";
import { renderChart } from "./chart.ts";
import { getJson } from "@campus/shared/http_client";
import {
  type AnalyticsFigures,
  type CheckReport,
  checkRun,
  type Decision,
  type PlacedOrder,
} from "./checker.ts";
import { HistoryFile, type Operation } from "./history.ts";
import { OpenLoopLoad } from "./load.ts";
import { runNemesis } from "./nemesis.ts";
import { SeededRandom } from "./random.ts";
import {
  type EpisodeRun,
  type FaultRow,
  faultTable,
  recoveries,
  type Recovery,
} from "./recovery.ts";
import { type Sample, Sampler } from "./sampler.ts";
import type { Schedule } from "./schedule.ts";
import { ChaosStack, serviceUrl, type UnexpectedExit } from "./stack.ts";

/** What a campaign is run with. */
export interface CampaignOptions {
  seed: number;
  /** Orders per second. */
  rate: number;
  /** Seconds of load (longer if the schedule's faults take longer to heal). */
  seconds: number;
  /** What the nemesis does, e.g. from `planSchedule`. */
  schedule: Schedule;
  /** `--faults` as given, for the replay command. */
  faultsText?: string;
  /** Directory of the run's files. */
  outDir: string;
  say: (line: string) => void;
}

/** Everything a campaign found. */
export interface CampaignResult {
  seed: number;
  faultsText?: string;
  rate: number;
  seconds: number;
  schedule: Schedule;
  runs: EpisodeRun[];
  check: CheckReport;
  recoveries: Recovery[];
  faults: FaultRow[];
  unexpectedExits: UnexpectedExit[];
  /** Whether the system came back to a quiet, fully counted state after the load. */
  settled: boolean;
  /** Everything passed: no finding, every fault recovered, no crash, every fault carried out. */
  ok: boolean;
  /** What the sampler saw: lags and analytics' count every quarter second. */
  samples: Sample[];
  files: {
    history: string;
    decisions: string;
    schedule: string;
    report: string;
    chart: string;
    logs: string;
  };
}

/** Longest wait for a service's answer while settling and reading the results. */
const ANSWER_TIMEOUT_MS = 5_000;
/**
 * Load after the last fault healed. A fault that has not recovered when the load ends counts as
 * never recovered, so this is room for the slower recoveries measured (analytics killed with
 * SIGKILL: 11-16 s; a broker restart: up to about 30 s from injection, much of it before healing).
 */
const END_CALM_MS = 25_000;

/** Items of the campaign's menu, with their share of the expected demand as initial stock. */
const STOCK_SHARES: Record<string, number> = {
  pizza: 0.25,
  burger: 0.5,
  pasta: 0.8,
  taco: 1.2,
  salad: 2,
  curry: 4,
};

/**
 * Stock sized to the run: some items sell out early, some late and some never, so both outcomes
 * (and out_of_stock racing with faults) occur whatever the rate and length.
 */
export function campaignMenu(rate: number, seconds: number): Record<string, number> {
  const items = Object.keys(STOCK_SHARES);
  const unitsPerItem = (rate * seconds * 0.94 * 2) / items.length;
  return Object.fromEntries(
    items.map((item) => [item, Math.max(5, Math.round(unitsPerItem * STOCK_SHARES[item]!))]),
  );
}

async function readDecisions(kafka: Kafka): Promise<{ decisions: Decision[]; invalid: number }> {
  const decisions: Decision[] = [];
  let invalid = 0;
  for (const record of await readToEnd(kafka, INVENTORY_EVENTS, { timeoutMs: 120_000 })) {
    const parsed = InventoryEvent.safeParse(parseJson(record.value));
    if (!parsed.success) {
      invalid++;
      continue;
    }
    const event = parsed.data;
    decisions.push({
      orderId: event.order_id,
      userId: event.user_id,
      item: event.item,
      quantity: event.quantity,
      outcome: event.event_type === "InventoryReserved" ? "reserved" : "failed",
      ...(event.event_type === "InventoryReserved"
        ? { remaining: event.remaining }
        : { reason: event.reason }),
      partition: record.partition,
      offset: Number(record.offset),
      decidedAt: Date.parse(event.occurred_at),
    });
  }
  return { decisions, invalid };
}

async function readPlaced(
  kafka: Kafka,
): Promise<{ placed: PlacedOrder[]; invalid: number }> {
  const placed: PlacedOrder[] = [];
  let invalid = 0;
  for (const record of await readToEnd(kafka, ORDER_EVENTS, { timeoutMs: 120_000 })) {
    const parsed = OrderPlaced.safeParse(parseJson(record.value));
    if (parsed.success) placed.push({ orderId: parsed.data.order_id, userId: parsed.data.user_id });
    else invalid++;
  }
  return { placed, invalid };
}

function parseJson(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? "null");
  } catch {
    return undefined;
  }
}

/**
 * Waits until inventory owns every partition and has no lag, then until analytics has counted
 * as many orders as `countDecisions` finds on the topic, with no lag. False if that does not
 * happen in time.
 */
async function settle(
  countDecisions: () => Promise<number>,
  say: (line: string) => void,
): Promise<boolean> {
  const inventory = serviceUrl("inventory");
  const analytics = serviceUrl("analytics");
  try {
    // Orders answered 202 "queued" are in the producer's outbox until relayed to Kafka.
    await poll("the producer's outbox to be relayed to Kafka", async () => {
      const ready = await getJson(`${serviceUrl("producer")}/ready`, ANSWER_TIMEOUT_MS);
      const outbox = ready?.outbox as { depth?: number } | undefined;
      return ready && (outbox === undefined || outbox.depth === 0) ? true : undefined;
    }, { timeoutMs: 120_000, intervalMs: 500 });
    await poll("inventory to own every partition and have decided every order", async () => {
      const ready = await getJson(`${inventory}/ready`, ANSWER_TIMEOUT_MS);
      const lag = await getJson(`${inventory}/lag?fresh=true`, ANSWER_TIMEOUT_MS);
      return (ready?.partitions as unknown[] | undefined)?.length === DEFAULT_EVENT_PARTITIONS &&
          lag?.total === 0
        ? true
        : undefined;
    }, { timeoutMs: 120_000, intervalMs: 500 });
    const expected = await countDecisions();
    say(`inventory settled; waiting for analytics to count ${expected} decided orders`);
    await poll(`analytics to count ${expected} orders`, async () => {
      const answer = await getJson(`${analytics}/metrics?fresh=true`, ANSWER_TIMEOUT_MS);
      const metrics = answer?.metrics as { total_orders?: number } | undefined;
      const operational = answer?.operational as { lag?: number } | undefined;
      return metrics?.total_orders === expected && operational?.lag === 0 ? true : undefined;
    }, { timeoutMs: 120_000, intervalMs: 500 });
    return true;
  } catch (error) {
    say(`did not settle: ${error instanceof Error ? error.message : error}`);
    return false;
  }
}

/** Runs one campaign; the stack is stopped whatever happens. */
export async function runCampaign(options: CampaignOptions): Promise<CampaignResult> {
  const { seed, rate, seconds, outDir, say } = options;
  const files = {
    history: `${outDir}/history.jsonl`,
    decisions: `${outDir}/decisions.jsonl`,
    schedule: `${outDir}/schedule.json`,
    report: `${outDir}/report.json`,
    chart: `${outDir}/chart.svg`,
    logs: `${outDir}/logs`,
  };
  await Deno.mkdir(outDir, { recursive: true });
  const { schedule } = options;
  await Deno.writeTextFile(files.schedule, JSON.stringify(schedule, null, 2) + "\n");
  const menu = campaignMenu(rate, seconds);
  const menuFile = `${outDir}/menu.json`;
  await Deno.writeTextFile(menuFile, JSON.stringify(menu, null, 2) + "\n");

  const quiet = createLogger({ service: "chaos", level: "error", write: () => {} });
  let kafka: Kafka | undefined;
  say("starting a broker and the services of its own (logs in " + files.logs + ")");
  await using stack = await ChaosStack.start({
    logDir: files.logs,
    menuFile,
    outboxDir: `${outDir}/outbox`,
    ensureTopics: async (bootstrap) => {
      kafka = createKafka({ clientId: "chaos", brokers: [bootstrap], logger: quiet });
      const admin = kafka.admin();
      await admin.connect();
      try {
        await ensureTopics(admin, TOPICS);
      } finally {
        await admin.disconnect();
      }
    },
  });
  for (const name of ["producer", "inventory", "analytics"] as const) {
    await waitForOk(`${serviceUrl(name)}/ready`, { timeoutMs: 60_000 });
  }

  const history = await HistoryFile.create(files.history);
  const operations: Operation[] = [];
  const load = new OpenLoopLoad({
    url: serviceUrl("producer"),
    rate,
    random: new SeededRandom(seed ^ 0x5eed),
    items: Object.keys(menu),
    tag: `chaos-${seed}`,
    onOperation: (operation) => {
      operations.push(operation);
      history.add(operation);
    },
  });
  const flusher = setInterval(() => history.flush().catch(() => {}), 500);
  const sampler = new Sampler({
    inventory: serviceUrl("inventory"),
    analytics: serviceUrl("analytics"),
  });
  sampler.start();
  const startAt = Date.now();
  say(`load: ${rate} orders/s, open loop, for ${seconds} s or until the last fault healed`);
  load.start();
  const progress = setInterval(() => {
    const elapsed = Math.round((Date.now() - startAt) / 1000);
    const accepted = operations.filter((operation) => operation.outcome === "accepted").length;
    say(`t=${elapsed} s  ${load.orders} orders sent, ${accepted} acknowledged`);
  }, 15_000);
  let runs: EpisodeRun[];
  try {
    runs = await runNemesis(schedule, {
      stack,
      startAt,
      say,
      throttle: async (delay) => {
        const response = await fetch(`${serviceUrl("inventory")}/admin/throttle`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ seconds: delay }),
        });
        await response.body?.cancel();
        if (!response.ok) throw new Error(`POST /admin/throttle answered ${response.status}`);
      },
    });
    // Calm at the end, long enough for the last fault to recover (a member killed with
    // SIGKILL holds its partitions for a 10 s session), so the run ends in the steady state.
    await sleep(Math.max(END_CALM_MS, startAt + seconds * 1000 - Date.now()));
  } finally {
    await load.stop();
    clearInterval(progress);
  }
  const loadEndAt = Date.now();
  say(
    `load stopped after ${
      ((loadEndAt - startAt) / 1000).toFixed(1)
    } s: ${operations.length} requests`,
  );

  // Read once inventory has settled (nothing is decided after that), and used for the check too.
  let read: Awaited<ReturnType<typeof readDecisions>> | undefined;
  const settled = await settle(async () => {
    read = await readDecisions(kafka!);
    return new Set(read.decisions.map((decision) => decision.orderId)).size;
  }, say);
  await sampler.stop();
  clearInterval(flusher);
  await history.close();

  say("reading order-events and inventory-events back (read_committed)");
  const { decisions, invalid } = read ?? await readDecisions(kafka!);
  await Deno.writeTextFile(
    files.decisions,
    decisions.map((decision) => JSON.stringify(decision)).join("\n") + "\n",
  );
  const { placed, invalid: invalidPlaced } = await readPlaced(kafka!);
  const inventoryAnswer = await getJson(`${serviceUrl("inventory")}/inventory`, ANSWER_TIMEOUT_MS);
  const metricsAnswer = await getJson(`${serviceUrl("analytics")}/metrics`, ANSWER_TIMEOUT_MS);
  const check = checkRun({
    operations,
    placed,
    decisions,
    initialStock: menu,
    inventoryRemaining: inventoryAnswer?.items as Record<string, number> | undefined,
    analytics: metricsAnswer?.metrics as AnalyticsFigures | undefined,
    invalidRecords: invalid + invalidPlaced,
  });
  const recovered = recoveries(runs, operations, decisions, sampler.samples);
  const faults = faultTable(recovered);
  const unexpectedExits = [...stack.unexpectedExits];
  const ok = check.ok && settled && unexpectedExits.length === 0 &&
    recovered.every((recovery) => recovery.recoveryMs !== undefined) &&
    runs.every((run) => run.error === undefined);

  await Deno.writeTextFile(
    files.chart,
    renderChart({
      title: `Chaos campaign, seed ${seed}: ${rate} orders/s, ${runs.length} faults`,
      startAt,
      endAt: loadEndAt,
      operations,
      samples: sampler.samples,
      runs,
    }),
  );
  const result: CampaignResult = {
    seed,
    ...(options.faultsText ? { faultsText: options.faultsText } : {}),
    rate,
    seconds,
    schedule,
    runs,
    check,
    recoveries: recovered,
    faults,
    unexpectedExits,
    settled,
    ok,
    samples: sampler.samples,
    files,
  };
  await Deno.writeTextFile(files.report, JSON.stringify(result, null, 2) + "\n");
  // A failed run keeps the broker's data: `deno task kafka dump-log` decodes its segments.
  if (!ok) stack.keepBrokerData(`${outDir}/broker-data`);
  return result;
}
