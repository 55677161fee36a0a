import { z } from 'zod';
/**
 * Capacity plan from a measured, SLO-compliant throughput per machine: how
 * many machines a target needs, with headroom and redundancy, and the
 * concurrency limit to configure (Little's law at the SLO edge).
 */
export const planInputSchema = z.object({
  /** Highest QPS one machine held within the SLO (from `slo`, or a sweep). */
  sloQpsPerMachine: z.number(),
  /** Latency at that rate (ms), mean: in-flight = QPS x mean latency. */
  meanLatencyMsAtSlo: z.number(),
  /** p99 at that rate (ms), for the limit's safety margin. */
  p99MsAtSlo: z.number(),
  peakQps: z.number(),
  averageQps: z.number(),
  /** Fraction of the SLO throughput to plan on (keeps queues short). @default 0.8 */
  utilisation: z.number().optional(),
});
export type PlanInput = z.infer<typeof planInputSchema>;

export const planSchema = z.object({
  usableQpsPerMachine: z.number(),
  machinesForPeak: z.number(),
  machinesForAverage: z.number(),
  withNPlus1: z.number(),
  with2x: z.number(),
  /** Concurrency limit per machine: in flight at the SLO rate, at p99 latency. */
  recommendedConcurrencyLimit: z.number(),
  inFlightAtSloMean: z.number(),
  /** What 1, 2 and 3 hosts serve within the SLO by this model (checked by `bench hosts`; absent in plans before it). */
  predictedQpsByHosts: z.array(z.object({ hosts: z.number(), qps: z.number() })).optional(),
  notes: z.array(z.string()),
});
export type Plan = z.infer<typeof planSchema>;

export function plan(input: PlanInput): Plan {
  const u = input.utilisation ?? 0.8;
  if (!(input.sloQpsPerMachine > 0)) throw new Error('sloQpsPerMachine must be positive');
  const usable = input.sloQpsPerMachine * u;
  const machinesForPeak = Math.max(1, Math.ceil(input.peakQps / usable));
  const machinesForAverage = Math.max(1, Math.ceil(input.averageQps / usable));
  const inFlightAtSloMean = (input.sloQpsPerMachine * input.meanLatencyMsAtSlo) / 1000;
  return {
    usableQpsPerMachine: Math.round(usable * 10) / 10,
    machinesForPeak,
    machinesForAverage,
    withNPlus1: machinesForPeak + 1,
    with2x: machinesForPeak * 2,
    recommendedConcurrencyLimit: Math.max(
      1,
      Math.ceil((input.sloQpsPerMachine * input.p99MsAtSlo) / 1000),
    ),
    inFlightAtSloMean: Math.round(inFlightAtSloMean * 100) / 100,
    // Linear in hosts: checked on the multi-host bed (bench/results/hosts-bed.json) within 3%
    // when every host count is measured at the same concurrency per host.
    predictedQpsByHosts: [1, 2, 3].map((hosts) => ({
      hosts,
      qps: Math.round(input.sloQpsPerMachine * hosts),
    })),
    notes: [
      `planned at ${Math.round(u * 100)}% of the SLO throughput (${Math.round(usable)} QPS per machine)`,
      'N+1 survives one machine down at peak; 2x survives a zone of half the machines down',
      'measured on the machine the benchmark ran on: a bigger machine needs its own measurement (or the USL fit of a sweep on it), not a linear scale-up',
    ],
  };
}
