/** The campaign's verdict as text: the checks, the faults and where the files are. Pure. */
import { formatTable } from "../load/stats.ts";
import type { CampaignResult } from "./campaign.ts";
import { CHECKS } from "./checker.ts";

function seconds(ms: number | undefined): string {
  return ms === undefined ? "never" : (ms / 1000).toFixed(1);
}

/** The summary printed at the end of a campaign and saved as summary.txt. */
export function formatSummary(result: CampaignResult): string {
  const { check } = result;
  const counts = check.counts;
  const lines: string[] = [];
  lines.push(
    `Seed ${result.seed}, ${result.rate} orders/s, ${result.seconds} s, ${result.runs.length} faults.`,
    `Requests: ${counts.requests} (${counts.orders} orders, ${counts.retries} retries): ` +
      `${counts.accepted} acknowledged, ${counts.rejected} rejected as invalid, ` +
      `${counts.unavailable} answered 503, ${counts.noAnswer} without answer, ` +
      `${counts.refused} refused, ${counts.notSent} not sent.`,
    `Topics: ${counts.placed} OrderPlaced, ${counts.decisions} decisions ` +
      `(${counts.reserved} reserved, ${counts.failed} failed).`,
    "",
    formatTable(
      ["fault", "injected", "recovery p50 (s)", "recovery max (s)", "503s", "no answer"],
      result.faults.map((row) => [
        row.fault,
        String(row.injected),
        seconds(row.recoveredP50Ms),
        seconds(row.recoveredMaxMs) + (row.neverRecovered ? ` (${row.neverRecovered} never)` : ""),
        String(row.unavailable),
        String(row.noAnswer),
      ]),
    ),
    "",
    formatTable(
      ["check", "count", "verdict"],
      [
        ...CHECKS.map((name) => [
          name,
          String(check.findings[name].count),
          check.findings[name].count === 0 ? "ok" : "FAILED",
        ]),
        [
          "unresolved",
          `${check.unresolved.count}`,
          `counted, not failed (${check.unresolved.decided} of them exist)`,
        ],
        [
          "crashes",
          String(result.unexpectedExits.length),
          result.unexpectedExits.length ? "FAILED" : "ok",
        ],
        ["settled", result.settled ? "yes" : "no", result.settled ? "ok" : "FAILED"],
      ],
    ),
  );
  for (const name of CHECKS) {
    for (const example of check.findings[name].examples) lines.push(`  ${name}: ${example}`);
  }
  for (const exit of result.unexpectedExits) {
    lines.push(`  crash: ${exit.process} exited with code ${exit.code}:\n${exit.lastLines}`);
  }
  for (const run of result.runs) {
    if (run.error) lines.push(`  fault #${run.episode.index} went wrong: ${run.error}`);
  }
  lines.push(
    "",
    result.ok ? "PASSED: nothing lost, nothing doubled, nothing invented." : "FAILED",
    `Replay: ./denow task chaos --seed ${result.seed} --rate ${result.rate} --seconds ${result.seconds}${
      result.faultsText ? ` --faults ${result.faultsText}` : ""
    }`,
    `Files: ${result.files.history}, ${result.files.chart}, ${result.files.report}, ${result.files.logs}/`,
  );
  return lines.join("\n") + "\n";
}
