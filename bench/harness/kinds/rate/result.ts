import { z } from 'zod';
import { runSchema } from '../../result-envelope.ts';
import { openLoopResultSchema, stageSchema } from '../../runners/open-loop.ts';

/** An open loop at a fixed rate, or a stage shape of rates. */
export const rateRunSchema = runSchema('rate', {
  stages: z.array(stageSchema),
  result: openLoopResultSchema,
});
export type RateRun = z.infer<typeof rateRunSchema>;
