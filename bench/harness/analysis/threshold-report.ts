import { z } from 'zod';
import { sloVerdictSchema } from './slo-rule.ts';

/** The verdicts of k6-style thresholds on a run (analysis/thresholds.ts judges them). */
export const thresholdVerdictSchema = z.object({
  /** What was judged: the whole run, or one level of a sweep / one step of an slo search. */
  scope: z.string(),
  verdict: sloVerdictSchema,
});
export type ThresholdVerdict = z.infer<typeof thresholdVerdictSchema>;

export const thresholdReportSchema = z.object({
  thresholds: z.array(z.string()),
  pass: z.boolean(),
  verdicts: z.array(thresholdVerdictSchema),
});
export type ThresholdReport = z.infer<typeof thresholdReportSchema>;
