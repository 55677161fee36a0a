import { judge, partialSloView } from '../../harness/analysis/slo-rule.ts';
import { comparedRows } from '../../harness/report/compared-rows.ts';
import type { ResultKind } from '../../harness/result-kind.ts';
import { type ThreadsRun, threadsRunSchema } from './result.ts';

export const threadsKind: ResultKind<ThreadsRun> = {
  kind: 'threads',
  describe: 'The demo server with SEARCH_THREADS settings alternating.',
  schema: threadsRunSchema,
  tables(run) {
    return [
      {
        title: 'SEARCH_THREADS compared (rounds alternate)',
        rows: comparedRows(run.rows, (r) => ({
          threads: Number(r.searchThreads),
          round: Number(r.round),
        })),
      },
    ];
  },
  thresholds: (run, terms) =>
    run.rows.flatMap((row) =>
      row.levels.map((l) => ({
        scope: `SEARCH_THREADS=${row.searchThreads} round ${row.round} c=${l.concurrency}`,
        verdict: judge(terms, partialSloView({ p50: l.p50Ms, p99: l.p99Ms }, l.failureRate)),
      })),
    ),
};
