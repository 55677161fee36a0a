import { openLoopHtml, openLoopReport } from '../../report/open-loop-report.ts';
import type { ResultKind } from '../../result-kind.ts';
import { type UsersRun, usersRunSchema } from './result.ts';

export const usersKind: ResultKind<UsersRun> = {
  kind: 'users',
  describe: 'Locust-style users with think time (a closed loop per user).',
  schema: usersRunSchema,
  ...openLoopReport,
  html: (run) => openLoopHtml(run),
};
