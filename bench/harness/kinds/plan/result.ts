import { z } from 'zod';
import { planInputSchema, planSchema } from '../../analysis/plan.ts';
import { runSchema } from '../../result-envelope.ts';

/** Machines and a concurrency limit for a peak and average QPS, from a measured SLO rate. */
export const planRunSchema = runSchema('plan', {
  input: planInputSchema.extend({ source: z.string() }),
  plan: planSchema,
});
export type PlanRun = z.infer<typeof planRunSchema>;
