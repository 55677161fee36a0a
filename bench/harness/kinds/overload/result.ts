import { z } from 'zod';
import { runSchema } from '../../result-envelope.ts';

const n = z.number();
const counts = z.record(z.string(), n);

/** Latency figures of one phase of a benchmark that starts its own servers (ms). */
export const phaseLatencySchema = z.object({ p50: n, p99: n, max: n.optional() });
export type PhaseLatency = z.infer<typeof phaseLatencySchema>;

/** One phase (unloaded or overload) of one admission configuration. */
export const overloadPhaseSchema = z.object({
  offered: n,
  offeredPerSecond: n.optional(),
  achievedSendRate: n,
  lateSends: n,
  droppedSends: n.optional(),
  admitted: n,
  admittedPerSecond: n,
  admittedMs: phaseLatencySchema,
  rejected: n,
  rejectedMs: phaseLatencySchema,
  rejectedWithoutRetryAfter: n.nullable().optional(),
  otherOutcomes: counts,
  afterFirstSecond: z
    .object({ admittedMs: phaseLatencySchema, rejectedMs: phaseLatencySchema })
    .nullable()
    .optional(),
  generator: z.object({
    cpuPercent: n,
    trustworthy: z.boolean().optional(),
    reasons: z.array(z.string()).optional(),
  }),
  /** p99 of each second's answers, by the second they were sent. */
  perSecondP99Ms: z.array(n).optional(),
});
export type OverloadPhase = z.infer<typeof overloadPhaseSchema>;

/** Admission control at N x capacity: each configuration unloaded, flooded, recovering. */
export const overloadRunSchema = runSchema('overload', {
  generator: z.string().optional(),
  notes: z.string(),
  via: z.string().optional(),
  backend: z.string(),
  dataset: z.record(z.string(), z.unknown()),
  query: z.record(z.string(), z.unknown()).optional(),
  clientConnections: n.optional(),
  capacityPerSecond: n,
  /** The closed loop that measured capacity, admission off (runs before goodput was recorded have none). */
  capacitySweep: z.array(z.object({ concurrency: n, okPerSecond: n, p99Ms: n })).optional(),
  kneeConcurrency: n.optional(),
  /** --write-config: the settings file the knee-sized in-flight bound was written into. */
  sizedConfig: z.object({ file: z.string(), setting: z.string(), value: n }).nullable().optional(),
  /**
   * A bare node:http server refusing the same flood (direct runs): its CPU per refusal, and
   * the goodput that cost leaves any Node server at this factor (goodputCeiling, share of capacity).
   */
  refusalFloor: z
    .object({ cpuUsPerRefusal: n, answered: n, sentPerSecond: n, goodputCeiling: n })
    .nullable()
    .optional(),
  overloadFactor: n.optional(),
  secondsPerRun: n,
  targets: counts,
  results: z.array(
    z.object({
      configuration: z.string(),
      unloaded: overloadPhaseSchema,
      overload: overloadPhaseSchema,
      recovery: z
        .object({ seconds: n.nullable(), perSecondP99Ms: z.array(n) })
        .nullable()
        .optional(),
      /** Ok answers per second in the flood over the capacity measured in the same run. */
      goodput: n.optional(),
      /** The refusal floor's goodput ceiling at the rate the generator sent, and goodput over it (direct runs). */
      goodputCeilingAtSentRate: n.optional(),
      goodputOfCeiling: n.nullable().optional(),
      /** The server process over the flood: its CPU share, and CPU per refusal beside searches at capacity cost. */
      serverCpu: z
        .object({ busyShare: n, refusalCpuUsEstimate: n.nullable() })
        .nullable()
        .optional(),
      /** Why the generator sent less than asked (null: it sent it): its own core, or the server's answers. */
      limitedBy: z.string().nullable().optional(),
      admittedP99OverUnloadedP99: n,
      targets: z.record(z.string(), z.boolean()).optional(),
    }),
  ),
});
export type OverloadRun = z.infer<typeof overloadRunSchema>;
