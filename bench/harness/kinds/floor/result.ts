import { z } from 'zod';
import { runSchema } from '../../result-envelope.ts';

const n = z.number();

/** One configuration's closed-loop measurement in one round of the floor command. */
export const floorRowSchema = z.object({
  config: z.string(),
  round: n,
  /** Processes serving (PM2 daemon and workers, uvicorn and its workers). */
  processes: n,
  okPerSecond: n,
  /** CPU of every serving process over the ok answers. */
  cpuMsPerRequest: n.nullable(),
  serverCpuPercent: n,
  generatorCpuPercent: n,
  p50Ms: n,
  p99Ms: n,
  non2xx: n,
  socketErrors: n,
});
export type FloorRow = z.infer<typeof floorRowSchema>;

/** A configuration's medians over the rounds, against the floor's. */
export const floorSummarySchema = z.object({
  config: z.string(),
  describe: z.string(),
  okPerSecond: n,
  okPerSecondRange: z.array(n),
  cpuMsPerRequest: n,
  okOverFloor: n,
  cpuOverFloor: n,
  p99Ms: n,
  sameAnswersAsFloor: z.boolean(),
});
export type FloorSummary = z.infer<typeof floorSummarySchema>;

export const floorTargetSchema = z.object({
  target: z.string(),
  pass: z.boolean(),
  measured: z.string(),
});
export type FloorTarget = z.infer<typeof floorTargetSchema>;

/** The serving path against its floor (bare node:http), the cluster shapes and Python stacks. */
export const floorRunSchema = runSchema('floor', {
  generator: z.string(),
  connections: n,
  seconds: n,
  warmupSeconds: n,
  rounds: n,
  rows: z.array(floorRowSchema),
  summary: z.array(floorSummarySchema),
  /** One connection: latency unloaded. */
  latencyAtC1: z.array(
    z.object({
      config: z.string(),
      round: n,
      okPerSecond: n,
      p50Ms: n,
      p99Ms: n,
      meanMs: n,
    }),
  ),
  targets: z.array(floorTargetSchema),
});
export type FloorRun = z.infer<typeof floorRunSchema>;
