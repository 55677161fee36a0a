import { r1 } from '../../report/html-parts.ts';
import { openLoopHtml, openLoopReport } from '../../report/open-loop-report.ts';
import type { ResultKind } from '../../result-kind.ts';
import { type MixRun, mixRunSchema } from './result.ts';

export const mixKind: ResultKind<MixRun> = {
  kind: 'mix',
  describe: 'An open loop of weighted scenarios (search, filtered, batch, upsert).',
  schema: mixRunSchema,
  ...openLoopReport,
  html: (run) => openLoopHtml(run, `, ${r1(run.vectorsPerSecond)} vectors/s`),
};
