/**
 * The project's one definition of a percentile, used by the server's
 * /v1/stats, every bench runner and every report.
 *
 * Nearest rank: the q-th percentile of n ascending samples is the sample at
 * 1-based rank ceil(q x n), i.e. the smallest value with at least q of the
 * sample at or below it. It is always a value that was observed (no
 * interpolation), the p99 of 100 samples is the 99th smallest (not the
 * maximum, which is what floor(q x n) as a 0-based index returns), and p100
 * is the maximum. Histograms (HdrHistogram in the load generators) answer
 * the same question within their precision.
 */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  if (!(q >= 0 && q <= 1)) throw new RangeError(`percentile: q must be within [0, 1], got ${q}`);
  const rank = Math.min(n, Math.max(1, Math.ceil(q * n)));
  return sorted[rank - 1]!;
}

/** Percentile, or null for an empty sample (a report shows "no data", not 0). */
export function percentileOrNull(sorted: ArrayLike<number>, q: number): number | null {
  return sorted.length === 0 ? null : percentile(sorted, q);
}

/** An ascending copy (numbers, not the default string order). */
export function sortedAscending(values: Iterable<number>): number[] {
  return Array.from(values).sort((a, b) => a - b);
}

/** The nearest-rank median of unsorted values (the figure a run of rounds reports). */
export function median(values: Iterable<number>): number {
  return percentile(sortedAscending(values), 0.5);
}

/** Rounded to `digits` decimals (figures in results and reports). */
export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Mean and population standard deviation. */
export function meanStd(values: readonly number[]): { mean: number; std: number } {
  if (values.length === 0) return { mean: 0, std: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length;
  return { mean, std: Math.sqrt(variance) };
}
