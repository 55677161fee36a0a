import { z } from 'zod';
/**
 * Little's law for a closed-loop level: with `concurrency` requests always in
 * flight and a mean latency R, throughput must be concurrency / R. Measured
 * QPS well below that means time is spent outside the server's latency (the
 * load generator between a response and the next request: it saturated);
 * well above means the latency sample is biased (e.g. fast errors not counted
 * in it, or connections not all busy).
 */
export const littlesLawCheckSchema = z.object({
  derivedQps: z.number(),
  measuredQps: z.number(),
  /** (measured - derived) / derived. */
  relativeDifference: z.number(),
  flagged: z.boolean(),
  explanation: z.string().nullable(),
});
export type LittlesLawCheck = z.infer<typeof littlesLawCheckSchema>;

export function littlesLaw(
  concurrency: number,
  meanLatencyMs: number,
  measuredQps: number,
  tolerance = 0.1,
): LittlesLawCheck {
  const derivedQps = meanLatencyMs > 0 ? (concurrency * 1000) / meanLatencyMs : 0;
  const relativeDifference = derivedQps > 0 ? (measuredQps - derivedQps) / derivedQps : 0;
  const flagged = Math.abs(relativeDifference) > tolerance;
  let explanation: string | null = null;
  if (flagged && relativeDifference < 0) {
    explanation =
      'measured QPS is below concurrency / latency: requests spent time outside the measured latency, ' +
      'i.e. the load generator did not send the next request at once (generator-bound: check its CPU and event-loop lag)';
  } else if (flagged) {
    explanation =
      'measured QPS is above concurrency / latency: the latency sample misses requests (errors or timeouts ' +
      'answered fast or not timed) or the latency resolution is too coarse for this level';
  }
  return { derivedQps, measuredQps, relativeDifference, flagged, explanation };
}
