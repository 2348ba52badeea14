/** Latency statistics of a load run: pure functions, unit-tested. */

/** The summary one table row shows. */
export interface LoadSummary {
  requests: number;
  ok: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** The value at quantile `q` (0-1) of ascending `sorted`, nearest-rank; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** Summarises latencies (ms) of `ok` successful requests out of `requests` over `seconds`. */
export function summarize(
  latenciesMs: Float64Array,
  options: { ok: number; seconds: number; unitsPerRequest?: number },
): LoadSummary {
  const sorted = latenciesMs.slice().sort();
  let sum = 0;
  for (const value of sorted) sum += value;
  const requests = sorted.length;
  return {
    requests,
    ok: options.ok,
    errors: requests - options.ok,
    seconds: options.seconds,
    perSecond: (options.ok * (options.unitsPerRequest ?? 1)) / options.seconds,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    max: requests > 0 ? sorted[requests - 1]! : NaN,
    mean: requests > 0 ? sum / requests : NaN,
  };
}

/** A fixed-width text table. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length))
  );
  const line = (cells: readonly string[]) =>
    cells.map((cell, column) =>
      column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)
    ).join("  ");
  return [line(header), widths.map((width) => "-".repeat(width)).join("  "), ...rows.map(line)]
    .join("\n");
}

/** A progress bar line such as `[██████····] 60% 12000/20000`. */
export function progressBar(done: number, total: number, width = 30): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(fraction * width);
  return `[${"█".repeat(filled)}${"·".repeat(width - filled)}] ${
    String(Math.floor(fraction * 100)).padStart(3)
  }% ${done}/${total}`;
}
