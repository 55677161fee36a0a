import { z } from 'zod';
import { runSchema } from '../../harness/result-envelope.ts';

/** The cost of one admission decision per limiter. */
export const admissionMicroRunSchema = runSchema('admission-micro', {
  decisionsPerRound: z.number(),
  /** Counts decisions, so the JIT cannot drop the timed loops. */
  sink: z.number().optional(),
  results: z.array(z.object({ decision: z.string(), keys: z.number(), nsPerDecision: z.number() })),
});
export type AdmissionMicroRun = z.infer<typeof admissionMicroRunSchema>;
