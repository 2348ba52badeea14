/**
 * `deno task bench:analytics`: replay throughput of the analytics service over N inventory events
 * (default 100,000), against a baseline in the same run: a plain kafkajs consumer reading the same
 * messages without parsing. Runs on a broker of its own (port 19592).
 *
 *   deno task bench:analytics [--events 100000]
 */
import { parseArgs } from "node:util";
import { createKafka, ensureTopics } from "@campus/shared/kafka";
import { createLogger } from "@campus/shared/log";
import { poll } from "@campus/shared/timing";
import { DEFAULT_EVENT_PARTITIONS, INVENTORY_EVENTS, TOPICS } from "@campus/shared/topics";
import { onStopRequest } from "./lib/entry.ts";
import { fillDecisions } from "./lib/orders.ts";
import { startOwnBroker, startOwnService } from "./own_processes.ts";
import { wholeNumberOption } from "./lib/cli.ts";
import { formatTable } from "./load/stats.ts";

const { values: args } = parseArgs({
  options: { events: { type: "string", default: "100000" }, help: { type: "boolean", short: "h" } },
});
if (args.help) {
  console.log(
    "Usage: ./denow task bench:analytics [--events 100000]\n\nReplay throughput of the analytics service over N inventory events on a broker of its own\n(127.0.0.1:19592), against a plain kafkajs consumer reading the same messages in the same run.",
  );
  Deno.exit(0);
}
const count = wholeNumberOption("events", args.events);
const say = (line: string) => console.error(`bench | ${line}`);
onStopRequest("bench", () => Deno.exit(130));

say("starting a broker of its own on 127.0.0.1:19592");
await using broker = await startOwnBroker(19592);
const kafka = createKafka({
  clientId: "bench",
  brokers: [broker.bootstrap],
  logger: createLogger({ service: "bench", level: "error", write: () => {} }),
});
const admin = kafka.admin();
await admin.connect();
await ensureTopics(admin, TOPICS);
say(`writing ${count.toLocaleString("en-US")} inventory decisions to ${INVENTORY_EVENTS}`);
await fillDecisions(kafka, {
  count,
  items: ["pizza", "burger", "salad", "sushi", "pasta", "soup", "taco", "curry"],
});
await admin.disconnect();

say("baseline: a plain kafkajs consumer reading the same messages without parsing");
const reader = kafka.consumer({ groupId: "bench-baseline", maxWaitTimeInMs: 100 });
let read = 0;
await reader.connect();
await reader.subscribe({ topic: INVENTORY_EVENTS, fromBeginning: true });
const baselineStart = performance.now();
let baselineDone!: () => void;
const baselineFinished = new Promise<void>((resolve) => baselineDone = resolve);
await reader.run({
  partitionsConsumedConcurrently: DEFAULT_EVENT_PARTITIONS,
  eachBatch: ({ batch }) => {
    read += batch.messages.length;
    if (read >= count) baselineDone();
    return Promise.resolve();
  },
});
await baselineFinished;
const baselineSeconds = (performance.now() - baselineStart) / 1000;
await reader.disconnect();

say("analytics service: replay through POST /replay?wait=true");
await using analytics = await startOwnService("analytics", {
  env: { KAFKA_BOOTSTRAP_SERVERS: broker.bootstrap, ANALYTICS_PORT: "15403" },
  url: "http://127.0.0.1:15403",
});
// At start-up the service reads the log once (no replay is reported then: `replay` stays null
// until one is requested); wait until it has read every event, then measure a replay on demand.
await poll("the start-up read of every event", async () => {
  const body = await (await fetch(`${analytics.url}/metrics`)).json();
  return body.operational.events_consumed >= count || undefined;
}, { timeoutMs: 300_000, intervalMs: 200 });
const requested = performance.now();
const response = await fetch(`${analytics.url}/replay?wait=true`, {
  method: "POST",
  headers: { "content-type": "application/json" },
});
const answered = performance.now();
const replay = await response.json();
if (response.status !== 200 || replay.operational.events_consumed !== count) {
  console.error(
    `Replay did not complete: ${response.status} ${JSON.stringify(replay).slice(0, 300)}`,
  );
  Deno.exit(1);
}
const catchUpSeconds = (Date.parse(replay.operational.replay.finished_at) -
  Date.parse(replay.operational.replay.started_at)) / 1000;
const totalSeconds = (answered - requested) / 1000;
const rate = (seconds: number) => Math.round(count / seconds).toLocaleString("en-US");
console.log(
  `\nAnalytics replay: ${count.toLocaleString("en-US")} events, ${
    new Date().toISOString()
  }, ${navigator.hardwareConcurrency} cores\n`,
);
console.log(formatTable(["pipeline", "seconds", "events/s"], [
  ["baseline: kafkajs consumer, no parsing", baselineSeconds.toFixed(2), rate(baselineSeconds)],
  ["analytics: replay, reading and counting", catchUpSeconds.toFixed(2), rate(catchUpSeconds)],
  ["analytics: POST /replay?wait=true, end to end", totalSeconds.toFixed(2), rate(totalSeconds)],
]));
console.log(
  `\nThe end-to-end figure includes leaving the group, resetting its offsets and joining again.`,
);
console.log(`Metrics after the replay: ${JSON.stringify(replay.metrics).slice(0, 200)}...`);
