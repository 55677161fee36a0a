/**
 * Capacity plan from a measured, SLO-compliant throughput per machine: how
 * many machines a target needs, with headroom and redundancy, and the
 * concurrency limit to configure (Little's law at the SLO edge).
 */
export interface PlanInput {
  /** Highest QPS one machine held within the SLO (from `slo`, or a sweep). */
  sloQpsPerMachine: number;
  /** Latency at that rate (ms), mean: in-flight = QPS x mean latency. */
  meanLatencyMsAtSlo: number;
  /** p99 at that rate (ms), for the limit's safety margin. */
  p99MsAtSlo: number;
  peakQps: number;
  averageQps: number;
  /** Fraction of the SLO throughput to plan on (keeps queues short). @default 0.8 */
  utilisation?: number;
}

export interface Plan {
  usableQpsPerMachine: number;
  machinesForPeak: number;
  machinesForAverage: number;
  withNPlus1: number;
  with2x: number;
  /** Concurrency limit per machine: in flight at the SLO rate, at p99 latency. */
  recommendedConcurrencyLimit: number;
  inFlightAtSloMean: number;
  /** What 1, 2 and 3 hosts serve within the SLO by this model (checked by `bench hosts`). */
  predictedQpsByHosts: { hosts: number; qps: number }[];
  notes: string[];
}

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
