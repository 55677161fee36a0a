import { z } from 'zod';
import { runSchema } from '../../harness/result-envelope.ts';
import { comparedLevelSchema } from '../../harness/runners/threads-compare.ts';

/** The demo server with SEARCH_THREADS settings alternating. */
export const threadsRunSchema = runSchema('threads', {
  rows: z.array(
    z.object({
      searchThreads: z.number(),
      round: z.number(),
      levels: z.array(comparedLevelSchema),
    }),
  ),
});
export type ThreadsRun = z.infer<typeof threadsRunSchema>;
