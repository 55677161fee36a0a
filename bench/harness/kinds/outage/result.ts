import { z } from 'zod';
import { runSchema } from '../../result-envelope.ts';
import { generatorHealthSchema } from '../../runners/generator-monitor.ts';
import { latencySummarySchema } from '../../runners/latency.ts';

const n = z.number();

/** One outage phase: the backend killed or stopped under open-loop load, then started again. */
export const outagePhaseSchema = z.object({
  phase: z.enum(['kill', 'stop']),
  /** Seconds from the start of the load. */
  events: z.object({
    downAt: n,
    downDone: n,
    upAt: n,
    readyAt: n,
    /** The first search Milvus answered directly after its restart. */
    searchableAt: n.nullable(),
  }),
  byOutcome: z.record(z.string(), n),
  refused: latencySummarySchema,
  /** 5xx other than 503 and 504: always a defect. */
  http500: n,
  http504: n,
  /** From Milvus searching again (directly) to the start of the first second the API served half the rate ok (null: never). */
  recoverySeconds: n.nullable(),
  generator: generatorHealthSchema,
  timeSeries: z.array(
    z.object({
      second: n,
      ok: n,
      errors: z.record(z.string(), n),
      p99Ms: n.nullable(),
      cpuPercent: n.nullable(),
      rssMb: n.nullable(),
      poolBorrowed: n.nullable(),
    }),
  ),
  targets: z.record(z.string(), z.boolean()),
});
export type OutagePhase = z.infer<typeof outagePhaseSchema>;

/** A dead backend under load (bench outage). */
export const outageRunSchema = runSchema('outage', {
  backend: z.string(),
  ratePerSecond: n,
  downSeconds: n,
  collection: z.record(z.string(), z.unknown()),
  targets: z.record(z.string(), n),
  notes: z.string(),
  phases: z.array(outagePhaseSchema),
});
export type OutageRun = z.infer<typeof outageRunSchema>;
