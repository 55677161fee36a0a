import { z } from 'zod';
import { runSchema } from '../../result-envelope.ts';

/** recall@k against exact ground truth, QPS and p99 per ef. */
export const recallRunSchema = runSchema('recall', {
  k: z.number(),
  queries: z.number(),
  points: z.array(
    z.object({
      ef: z.number(),
      recall: z.number(),
      qps: z.number(),
      p99Ms: z.number(),
      concurrency: z.number(),
    }),
  ),
});
export type RecallRun = z.infer<typeof recallRunSchema>;
