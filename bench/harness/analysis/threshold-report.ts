import type { SloVerdict } from './slo-rule.ts';

/** The verdicts of k6-style thresholds on a run (analysis/thresholds.ts judges them). */
export interface ThresholdVerdict {
  /** What was judged: the whole run, or one level of a sweep / one step of an slo search. */
  scope: string;
  verdict: SloVerdict;
}

export interface ThresholdReport {
  thresholds: string[];
  pass: boolean;
  verdicts: ThresholdVerdict[];
}
