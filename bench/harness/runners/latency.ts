import * as hdr from 'hdr-histogram-js';
import { z } from 'zod';

/** A latency histogram in microseconds (1 us to 120 s, 3 significant digits). */
export function latencyHistogram(): hdr.Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 120_000_000,
    numberOfSignificantValueDigits: 3,
  });
}

export const latencySummarySchema = z.object({
  count: z.number(),
  meanMs: z.number(),
  stdMs: z.number(),
  minMs: z.number(),
  p50Ms: z.number(),
  p90Ms: z.number(),
  p95Ms: z.number(),
  p99Ms: z.number(),
  p999Ms: z.number(),
  maxMs: z.number(),
});
export type LatencySummary = z.infer<typeof latencySummarySchema>;

const ms = (us: number) => Math.round(us) / 1000;

export function summarize(h: hdr.Histogram): LatencySummary {
  const count = h.totalCount;
  if (count === 0) {
    return {
      count,
      meanMs: 0,
      stdMs: 0,
      minMs: 0,
      p50Ms: 0,
      p90Ms: 0,
      p95Ms: 0,
      p99Ms: 0,
      p999Ms: 0,
      maxMs: 0,
    };
  }
  return {
    count,
    meanMs: ms(h.mean),
    stdMs: ms(h.stdDeviation),
    minMs: ms(h.minNonZeroValue),
    p50Ms: ms(h.getValueAtPercentile(50)),
    p90Ms: ms(h.getValueAtPercentile(90)),
    p95Ms: ms(h.getValueAtPercentile(95)),
    p99Ms: ms(h.getValueAtPercentile(99)),
    p999Ms: ms(h.getValueAtPercentile(99.9)),
    maxMs: ms(h.maxValue),
  };
}

/** The SLO judge's view of a summary. */
export function sloView(s: LatencySummary, errorRate: number) {
  return {
    p50: s.p50Ms,
    p90: s.p90Ms,
    p95: s.p95Ms,
    p99: s.p99Ms,
    p999: s.p999Ms,
    max: s.maxMs,
    mean: s.meanMs,
    errorRate,
  };
}
