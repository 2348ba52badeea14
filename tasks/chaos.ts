/**
 * `deno task chaos`: a fault campaign. A stack of its own on its own ports, an open-loop load of
 * orders, a nemesis injecting faults from a seeded schedule, and a checker that proves nothing
 * was lost, doubled or invented. Exits 0 only if every check passed.
 */
import { parseArgs } from "node:util";
import { wholeNumberOption } from "./lib/cli.ts";
import { onStopRequest } from "./lib/entry.ts";
import { runCampaign } from "./chaos/campaign.ts";
import { newSeed } from "./chaos/random.ts";
import { ALL_FAULTS, describeEpisode, parseFaults, planSchedule } from "./chaos/schedule.ts";
import { formatSummary } from "./chaos/summary.ts";

const HELP = `deno task chaos [--rate 200] [--seconds 60] [--seed N] [--faults LIST] [--out DIR]

Starts a broker and the three services of its own (ports 19792-19793, 15701-15703, 15712),
sends orders open-loop at --rate per second for --seconds (longer if the last fault heals
later), and meanwhile injects faults drawn from --seed: kill -9, SIGSTOP/SIGCONT and graceful
restarts of the producer, inventory, analytics and the broker, inventory throttling, and a
second inventory instance joining and leaving; --faults narrows them, e.g.
--faults restart:broker,kill:broker for the lab's Kafka shutdown scenario, or
--faults throttle,kill:inventory,restart:inventory for its two consumer scenarios
(kind:target pairs; kinds kill, pause, restart with :producer, :inventory,
:analytics, :broker or :*; throttle and join alone). Then it checks every acknowledged order was
decided exactly once, nothing appeared that no client sent, stock was never oversold and
analytics counted exactly what is on the topic.

Saved under --out (default .data/chaos/seed-N): history.jsonl (every request and its
outcome), schedule.json, report.json, summary.txt, chart.svg, logs/ (every process's output).
Run the same --seed again to replay the same schedule and orders.`;

const { values: args } = parseArgs({
  options: {
    rate: { type: "string", default: "200" },
    seconds: { type: "string", default: "60" },
    seed: { type: "string" },
    faults: { type: "string" },
    out: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (args.help) {
  console.log(HELP);
  Deno.exit(0);
}

const rate = wholeNumberOption("rate", args.rate, 1, 5_000);
const seconds = wholeNumberOption("seconds", args.seconds, 10, 86_400);
const seed = args.seed === undefined
  ? newSeed()
  : wholeNumberOption("seed", args.seed, 0, 2 ** 32 - 1);
const outDir = args.out ?? `.data/chaos/seed-${seed}`;
// The task may write only under .data/, and the inventory it starts reads its menu from there.
if (!/^(\.\/)?\.data\/[^.]/.test(outDir) || outDir.split("/").includes("..")) {
  console.error(`--out must be a directory under .data/, got "${outDir}"`);
  Deno.exit(2);
}
const say = (line: string) => console.log(`chaos | ${line}`);
onStopRequest("chaos", () => Deno.exit(130));

let faults;
try {
  faults = args.faults === undefined ? ALL_FAULTS : parseFaults(args.faults);
} catch (error) {
  console.error(`--faults: ${error instanceof Error ? error.message : error}`);
  Deno.exit(2);
}
say(`seed ${seed} (replay with --seed ${seed}); schedule:`);
const schedule = planSchedule(seed, seconds, faults);
for (const episode of schedule.episodes) {
  say(`  t=${episode.at.toFixed(1).padStart(5)} s  #${episode.index} ${describeEpisode(episode)}`);
}
const result = await runCampaign({
  seed,
  rate,
  seconds,
  schedule,
  faultsText: args.faults,
  outDir,
  say,
});
const summary = formatSummary(result);
await Deno.writeTextFile(`${outDir}/summary.txt`, summary);
console.log("\n" + summary);
Deno.exit(result.ok ? 0 : 1);
