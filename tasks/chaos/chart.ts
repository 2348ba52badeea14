/**
 * A picture of a campaign as an SVG: acknowledged orders per second (and the requests that got
 * a 503 or no answer) above, inventory's and analytics' lag below, every fault a shaded band with
 * its name. Hand-written: a few dozen lines of SVG need no charting library. Pure.
 * @module
 */
import type { Operation } from "./history.ts";
import type { EpisodeRun } from "./recovery.ts";
import type { Sample } from "./sampler.ts";
import { describeFault } from "./schedule.ts";

const WIDTH = 1100;
const LEFT = 60;
const RIGHT = 20;
const PANEL_HEIGHT = 170;
const TOP = 40;
const GAP = 50;

/** Requests per second of the run, by how they ended, indexed by second from `startAt`. */
export function perSecond(
  operations: readonly Operation[],
  startAt: number,
  seconds: number,
): { accepted: number[]; unavailable: number[]; noAnswer: number[] } {
  const zeros = () => new Array<number>(seconds).fill(0);
  const result = { accepted: zeros(), unavailable: zeros(), noAnswer: zeros() };
  for (const operation of operations) {
    const second = Math.floor((operation.doneAt - startAt) / 1000);
    if (second < 0 || second >= seconds) continue;
    if (operation.outcome === "accepted") result.accepted[second]!++;
    else if (operation.outcome === "unavailable") result.unavailable[second]!++;
    else if (operation.outcome === "no_answer" || operation.outcome === "refused") {
      result.noAnswer[second]!++;
    }
  }
  return result;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** A "nice" upper bound for an axis: 1, 2 or 5 times a power of ten. */
export function niceMax(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((step) => step * power).find((candidate) => candidate >= value)!;
}

/** What the chart shows. */
export interface ChartInput {
  title: string;
  startAt: number;
  endAt: number;
  operations: readonly Operation[];
  samples: readonly Sample[];
  runs: readonly EpisodeRun[];
}

/** The chart as SVG text. */
export function renderChart(input: ChartInput): string {
  const seconds = Math.max(1, Math.ceil((input.endAt - input.startAt) / 1000));
  const plotWidth = WIDTH - LEFT - RIGHT;
  const x = (at: number) => LEFT + ((at - input.startAt) / 1000 / seconds) * plotWidth;
  const rates = perSecond(input.operations, input.startAt, seconds);
  // The bursts after a stall (a backlog answered at once) would flatten the steady rate into the
  // axis: the scale stops at three times the usual rate and taller bursts are clipped.
  const typical = [...rates.accepted].sort((a, b) => a - b)[Math.floor(rates.accepted.length / 2)]!;
  const rateMax = niceMax(
    Math.min(Math.max(1, ...rates.accepted, ...rates.unavailable, ...rates.noAnswer), typical * 3),
  );
  const lagValues = input.samples.flatMap((sample) =>
    [sample.inventoryLag, sample.analyticsLag].filter((value): value is number => value !== null)
  );
  // Lag spans from a few messages to a whole replay: a log scale shows both.
  const lagMax = niceMax(Math.max(10, ...lagValues));
  const panelTop = [TOP, TOP + PANEL_HEIGHT + GAP];
  const height = panelTop[1]! + PANEL_HEIGHT + 50;
  const scaled = (panel: number, value: number, max: number) =>
    panel === 1 ? Math.log10(1 + value) / Math.log10(1 + max) : Math.min(1, value / max);
  const y = (panel: number, value: number, max: number) =>
    panelTop[panel]! + PANEL_HEIGHT - scaled(panel, value, max) * PANEL_HEIGHT;
  const parts: string[] = [];

  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" ` +
      `viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${LEFT}" y="20" font-size="14" font-weight="bold">${escapeXml(input.title)}</text>`,
  );
  // Faults first, so the lines are drawn over them.
  input.runs.forEach((run) => {
    const left = x(run.injectedAt);
    const width = Math.max(2, x(run.healedAt) - left);
    const label = escapeXml(describeFault(run.episode));
    const fill = run.episode.target === "broker" ? "#f4cccc" : "#fde9c9";
    for (const top of panelTop) {
      parts.push(
        `<rect x="${left.toFixed(1)}" y="${top}" width="${width.toFixed(1)}" ` +
          `height="${PANEL_HEIGHT}" fill="${fill}" opacity="0.8"><title>${label}</title></rect>`,
      );
    }
    // Written upwards inside its band, so that the names of faults close together never overlap.
    const labelX = (left + 9).toFixed(1);
    const labelY = panelTop[0]! + PANEL_HEIGHT - 4;
    parts.push(
      `<text x="${labelX}" y="${labelY}" font-size="9" transform="rotate(-90 ${labelX} ${labelY})">` +
        `${label}</text>`,
    );
  });
  for (
    const [panel, max, caption] of [
      [0, rateMax, "requests per second"],
      [1, lagMax, "consumer lag (messages, log scale)"],
    ] as const
  ) {
    const top = panelTop[panel]!;
    parts.push(
      `<rect x="${LEFT}" y="${top}" width="${plotWidth}" height="${PANEL_HEIGHT}" ` +
        `fill="none" stroke="#999"/>`,
      `<text x="${LEFT - 5}" y="${top + 4}" text-anchor="end">${max}</text>`,
      `<text x="${LEFT - 5}" y="${top + PANEL_HEIGHT}" text-anchor="end">0</text>`,
      `<text x="${LEFT}" y="${top - 5}">${caption}</text>`,
    );
  }
  for (let tick = 10; tick < lagMax; tick *= 10) {
    const tickY = y(1, tick, lagMax).toFixed(1);
    parts.push(
      `<line x1="${LEFT}" x2="${LEFT + plotWidth}" y1="${tickY}" y2="${tickY}" stroke="#ddd"/>`,
      `<text x="${LEFT - 5}" y="${tickY}" text-anchor="end">${tick}</text>`,
    );
  }
  for (let second = 0; second <= seconds; second += niceMax(seconds / 10)) {
    const at = input.startAt + second * 1000;
    parts.push(
      `<text x="${x(at).toFixed(1)}" y="${panelTop[1]! + PANEL_HEIGHT + 15}" ` +
        `text-anchor="middle">${second} s</text>`,
    );
  }
  const secondLine = (values: number[], color: string) =>
    polyline(
      values.map((
        value,
        second,
      ) => [x(input.startAt + (second + 0.5) * 1000), y(0, value, rateMax)]),
      color,
    );
  parts.push(secondLine(rates.accepted, "#2a7d2a"));
  parts.push(secondLine(rates.unavailable, "#c0392b"));
  parts.push(secondLine(rates.noAnswer, "#7d3c98"));
  const sampleLine = (pick: (sample: Sample) => number | null, color: string) =>
    polyline(
      input.samples.flatMap((sample) => {
        const value = pick(sample);
        return value === null ? [] : [[x(sample.at), y(1, value, lagMax)] as [number, number]];
      }),
      color,
    );
  parts.push(sampleLine((sample) => sample.inventoryLag, "#1f5fa8"));
  parts.push(sampleLine((sample) => sample.analyticsLag, "#d68910"));
  const legend = [
    ["#2a7d2a", "acknowledged (2xx)"],
    ["#c0392b", "503"],
    ["#7d3c98", "no answer / refused"],
    ["#1f5fa8", "inventory lag"],
    ["#d68910", "analytics lag"],
  ];
  legend.forEach(([color, name], index) => {
    const left = LEFT + index * 170;
    const top = height - 15;
    parts.push(
      `<rect x="${left}" y="${top - 8}" width="12" height="8" fill="${color}"/>`,
      `<text x="${left + 16}" y="${top}">${escapeXml(name!)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}

function polyline(points: [number, number][], color: string): string {
  if (points.length === 0) return "";
  const path = points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(" ");
  return `<polyline points="${path}" fill="none" stroke="${color}" stroke-width="1.5"/>`;
}
