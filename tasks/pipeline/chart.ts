/**
 * The latency-vs-throughput chart of `bench:pipeline` as a self-contained SVG: achieved orders/s
 * across, latency down a logarithmic axis, p50 and p99 of each stage (202, decided, counted).
 * @module
 */

/** One point of a series. */
export interface ChartPoint {
  rate: number;
  ms: number;
}

/** A line of the chart. */
export interface ChartSeries {
  name: string;
  color: string;
  dashed?: boolean;
  points: ChartPoint[];
}

const WIDTH = 860;
const HEIGHT = 460;
const LEFT = 70;
const RIGHT = 220;
const TOP = 40;
const BOTTOM = 50;

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The SVG text of the chart; `ceiling`, if given, is drawn as a vertical line. */
export function latencyChart(
  title: string,
  series: readonly ChartSeries[],
  ceiling?: { rate: number; label: string },
): string {
  const points = series.flatMap((line) => line.points);
  const maxRate = Math.max(1, ...points.map((point) => point.rate)) * 1.1;
  const minMs = Math.max(0.1, Math.min(...points.map((point) => point.ms)));
  const maxMs = Math.max(minMs * 10, ...points.map((point) => point.ms));
  const lowDecade = Math.floor(Math.log10(minMs));
  const highDecade = Math.ceil(Math.log10(maxMs));
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const x = (rate: number) => LEFT + (rate / maxRate) * plotWidth;
  const y = (ms: number) =>
    TOP + plotHeight -
    ((Math.log10(Math.max(ms, 10 ** lowDecade)) - lowDecade) / (highDecade - lowDecade)) *
      plotHeight;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${LEFT}" y="22" font-size="15" font-weight="bold">${escape(title)}</text>`,
  ];
  for (let decade = lowDecade; decade <= highDecade; decade++) {
    const ms = 10 ** decade;
    parts.push(
      `<line x1="${LEFT}" x2="${LEFT + plotWidth}" y1="${y(ms)}" y2="${y(ms)}" stroke="#ddd"/>`,
      `<text x="${LEFT - 8}" y="${y(ms) + 4}" text-anchor="end">${
        ms >= 1 ? ms.toLocaleString("en-US") : ms
      } ms</text>`,
    );
  }
  const step = 10 ** Math.floor(Math.log10(maxRate / 2));
  const tick = maxRate / step > 8 ? step * 2 : step;
  for (let rate = 0; rate <= maxRate; rate += tick) {
    parts.push(
      `<line x1="${x(rate)}" x2="${x(rate)}" y1="${TOP}" y2="${TOP + plotHeight}" stroke="#eee"/>`,
      `<text x="${x(rate)}" y="${TOP + plotHeight + 16}" text-anchor="middle">${
        rate.toLocaleString("en-US")
      }</text>`,
    );
  }
  parts.push(
    `<text x="${LEFT + plotWidth / 2}" y="${
      HEIGHT - 12
    }" text-anchor="middle">achieved orders/s</text>`,
    `<rect x="${LEFT}" y="${TOP}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#888"/>`,
  );
  if (ceiling && ceiling.rate <= maxRate) {
    parts.push(
      `<line x1="${x(ceiling.rate)}" x2="${x(ceiling.rate)}" y1="${TOP}" y2="${
        TOP + plotHeight
      }" stroke="#999" stroke-dasharray="2 3"/>`,
      `<text x="${x(ceiling.rate) - 4}" y="${TOP + 12}" text-anchor="end" fill="#666">${
        escape(ceiling.label)
      }</text>`,
    );
  }
  series.forEach((line, index) => {
    const sorted = [...line.points].sort((a, b) => a.rate - b.rate);
    const dash = line.dashed ? ` stroke-dasharray="6 4"` : "";
    parts.push(
      `<polyline fill="none" stroke="${line.color}" stroke-width="2"${dash} points="${
        sorted.map((point) => `${x(point.rate).toFixed(1)},${y(point.ms).toFixed(1)}`).join(" ")
      }"/>`,
      ...sorted.map((point) =>
        `<circle cx="${x(point.rate).toFixed(1)}" cy="${
          y(point.ms).toFixed(1)
        }" r="3" fill="${line.color}"/>`
      ),
      `<line x1="${WIDTH - RIGHT + 15}" x2="${WIDTH - RIGHT + 45}" y1="${
        TOP + 10 + index * 20
      }" y2="${TOP + 10 + index * 20}" stroke="${line.color}" stroke-width="2"${dash}/>`,
      `<text x="${WIDTH - RIGHT + 52}" y="${TOP + 14 + index * 20}">${escape(line.name)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n");
}
