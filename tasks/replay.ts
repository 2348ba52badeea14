/**
 * `deno task replay`: asks the analytics service to replay inventory-events from the beginning,
 * waits until it has caught up, and prints the metrics before and after side by side.
 * Exits 1 if they differ: a replay of the same log must give the same metrics.
 */
import { setting } from "./lib/setting.ts";

const url = setting("ANALYTICS_URL", "http://127.0.0.1:5003").replace(/\/$/, "");
// Needed only off loopback, e.g. for a stack in containers (compose.yaml passes ADMIN_TOKEN on).
const adminToken = setting("ADMIN_TOKEN", "");

const before = await fetch(`${url}/metrics`).then((response) => response.json()).catch(() =>
  undefined
);
if (!before) {
  console.error(
    `Cannot reach the analytics service at ${url}. Start the system with \`deno task up\`.`,
  );
  Deno.exit(1);
}
console.error(`Replaying inventory-events from the beginning through ${url} ...`);
const started = performance.now();
const response = await fetch(`${url}/replay?wait=true`, {
  method: "POST",
  headers: {
    "content-type": "application/json",
    ...(adminToken ? { authorization: `Bearer ${adminToken}` } : {}),
  },
});
const after = await response.json();
if (response.status !== 200) {
  console.error(`Replay failed (${response.status}): ${after.error ?? JSON.stringify(after)}`);
  Deno.exit(1);
}
const seconds = (performance.now() - started) / 1000;

const rows: [string, unknown, unknown][] = Object.keys(before.metrics).map((
  key,
) => [key, before.metrics[key], after.metrics[key]]);
const show = (value: unknown) =>
  typeof value === "object" && value !== null
    ? `${Object.keys(value).length} entries`
    : String(value);
const width = Math.max(...rows.map(([key]) => key.length));
console.log(`${"metric".padEnd(width)}  ${"before".padStart(24)}  ${"after".padStart(24)}`);
for (const [key, was, now] of rows) {
  const mark = JSON.stringify(was) === JSON.stringify(now) ? " " : "≠";
  console.log(`${key.padEnd(width)}  ${show(was).padStart(24)}  ${show(now).padStart(24)} ${mark}`);
}
const identical = JSON.stringify(before.metrics) === JSON.stringify(after.metrics);
const events = after.operational.events_consumed;
console.log(
  `\nReplayed ${events.toLocaleString("en-US")} events in ${seconds.toFixed(2)} s ` +
    `(${Math.round(events / seconds).toLocaleString("en-US")} events/s). ` +
    (identical
      ? "Metrics identical, byte for byte."
      : "Metrics DIFFER (new events may have arrived during the replay)."),
);
Deno.exit(identical ? 0 : 1);
