import { z } from 'zod';
import { runSchema } from '../../harness/result-envelope.ts';
import { comparedLevelSchema } from '../../harness/runners/threads-compare.ts';

/** The demo server with BATCH off/on x query encodings alternating. */
export const batchingRunSchema = runSchema('batching', {
  notes: z.string().optional(),
  rows: z.array(
    z.object({
      batch: z.string(),
      encoding: z.string(),
      round: z.number(),
      levels: z.array(comparedLevelSchema),
    }),
  ),
});
export type BatchingRun = z.infer<typeof batchingRunSchema>;
