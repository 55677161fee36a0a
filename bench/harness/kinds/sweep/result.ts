import { z } from 'zod';
import { kneeResultSchema } from '../../analysis/knee.ts';
import { uslFitSchema } from '../../analysis/usl.ts';
import { recallFigureSchema, runSchema } from '../../result-envelope.ts';
import { sweepLevelSchema } from '../../runners/sweep.ts';

/** A closed-loop sweep over concurrency levels, with its knee and USL fit. */
export const sweepRunSchema = runSchema('sweep', {
  levels: z.array(sweepLevelSchema),
  analysis: z.object({
    knee: kneeResultSchema,
    usl: uslFitSchema.nullable(),
    bestConcurrency: z.number().nullable(),
    peakMeasuredQps: z.number(),
    untrustworthyLevels: z.array(z.number()),
    littlesLawFlagged: z.array(z.number()),
  }),
  recall: recallFigureSchema.nullable(),
});
export type SweepRun = z.infer<typeof sweepRunSchema>;
