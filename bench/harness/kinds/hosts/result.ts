import { z } from 'zod';
import { runSchema } from '../../result-envelope.ts';

const n = z.number();

/** One measurement of the multi-host bed (bench hosts). */
export const hostsMeasurementSchema = z.object({
  hosts: n,
  okPerSecond: n,
  p99Ms: n,
  generatorCpuPercent: n,
  haproxyCpuPercent: n,
  /** Share of the time the hosts' processes were held back by their CPU quota. */
  hostsThrottledShare: n,
  /** Share of the machine's CPU time that was busy (/proc/stat). */
  machineBusyShare: n,
  /** Answers that were not 2xx (refusals of an overloaded host) and socket errors. */
  non2xx: n,
});
export type HostsMeasurement = z.infer<typeof hostsMeasurementSchema>;

/** 1..N API hosts on the bed against the plan's prediction from one (bench hosts). */
export const hostsRunSchema = runSchema('hosts', {
  hostCpu: n,
  connectionsPerHost: n,
  seconds: n,
  rounds: n,
  model: z.string(),
  goal: z.string(),
  runs: z.array(hostsMeasurementSchema.extend({ connections: n })),
  summary: z.array(
    hostsMeasurementSchema.extend({
      okPerSecondRange: z.tuple([n, n]),
      predictedOkPerSecond: n,
      predictionError: n,
      withinTarget: z.boolean(),
      limitedBy: z.string(),
    }),
  ),
});
export type HostsRun = z.infer<typeof hostsRunSchema>;
