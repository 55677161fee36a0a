import { openLoopHtml, openLoopReport } from '../../report/open-loop-report.ts';
import type { ResultKind } from '../../result-kind.ts';
import { type RateRun, rateRunSchema } from './result.ts';

export const rateKind: ResultKind<RateRun> = {
  kind: 'rate',
  describe: 'An open loop at a fixed rate, or a stage shape of rates.',
  schema: rateRunSchema,
  ...openLoopReport,
  html: (run) => openLoopHtml(run),
};
