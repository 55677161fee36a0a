import { z } from 'zod';
import { sloVerdictSchema } from '../../analysis/slo-rule.ts';
import { runSchema } from '../../result-envelope.ts';
import { openLoopResultSchema } from '../../runners/open-loop.ts';

/** The highest open-loop rate that keeps an SLO rule, found step by step. */
export const sloRunSchema = runSchema('slo', {
  /** What sent the load (vegeta by default; older runs used the in-process loop). */
  generator: z.string().optional(),
  rule: z.string(),
  steps: z.array(
    z.object({
      rate: z.number(),
      pass: z.boolean(),
      verdict: sloVerdictSchema,
      result: openLoopResultSchema,
    }),
  ),
  maxPassingRate: z.number().nullable(),
  required: z.object({ rate: z.number(), pass: z.boolean() }).nullable(),
  /** The closed loop's best on the same target in the same run (--peak), and its sweep. */
  closedLoopPeak: z
    .object({
      okPerSecond: z.number(),
      concurrency: z.number(),
      sweep: z.array(
        z.object({ concurrency: z.number(), okPerSecond: z.number(), p99Ms: z.number() }),
      ),
    })
    .optional(),
  /** maxPassingRate over closedLoopPeak.okPerSecond. */
  passingShareOfPeak: z.number().optional(),
});
export type SloRun = z.infer<typeof sloRunSchema>;
