import { z } from 'zod';
import { runSchema } from '../../harness/result-envelope.ts';

const n = z.number();

/** usearch releases side by side under each Node binary. */
export const usearchVersionsRunSchema = runSchema('usearch-versions', {
  rows: z.array(
    z.object({
      round: n,
      node: z.string(),
      usearch: z.string(),
      buildSeconds: n,
      addsPerSecond: n,
      searchQpsOneThread: n,
      searchP99Ms: n,
      recallAt10: n,
    }),
  ),
});
export type UsearchVersionsRun = z.infer<typeof usearchVersionsRunSchema>;
