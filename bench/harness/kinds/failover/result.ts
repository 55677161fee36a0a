import { z } from 'zod';
import { runSchema } from '../../result-envelope.ts';

const n = z.number();

/** One failover phase of one front balancer (bench failover). */
export const failoverPhaseSchema = z.object({
  front: z.string(),
  event: z.enum(['kill', 'partition']),
  sent: n,
  byOutcome: z.record(z.string(), n),
  failed: n,
  slowerThan1s: n,
  maxMs: n,
  p99Ms: n,
  recoverySeconds: n.nullable(),
});
export type FailoverPhase = z.infer<typeof failoverPhaseSchema>;

/** HAProxy against nginx as the front balancer when a host is lost (bench failover). */
export const failoverRunSchema = runSchema('failover', {
  ratePerSecond: n,
  seconds: n,
  eventAtSecond: n,
  phases: z.array(failoverPhaseSchema),
});
export type FailoverRun = z.infer<typeof failoverRunSchema>;
