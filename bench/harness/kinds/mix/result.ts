import { z } from 'zod';
import { runSchema } from '../../result-envelope.ts';
import { openLoopResultSchema } from '../../runners/open-loop.ts';

/** An open loop of weighted scenarios (search, filtered, batch, upsert). */
export const mixRunSchema = runSchema('mix', {
  weights: z.record(z.string(), z.number()),
  result: openLoopResultSchema,
  vectorsPerSecond: z.number(),
});
export type MixRun = z.infer<typeof mixRunSchema>;
