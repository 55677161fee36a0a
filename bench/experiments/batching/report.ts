import { judge, partialSloView } from '../../harness/analysis/slo-rule.ts';
import { comparedRows } from '../../harness/report/compared-rows.ts';
import type { ResultKind } from '../../harness/result-kind.ts';
import { type BatchingRun, batchingRunSchema } from './result.ts';

export const batchingKind: ResultKind<BatchingRun> = {
  kind: 'batching',
  describe: 'The demo server with BATCH off/on x query encodings alternating.',
  schema: batchingRunSchema,
  tables(run) {
    return [
      {
        title: 'BATCH off/on x query encoding (rounds alternate)',
        rows: comparedRows(run.rows, (r) => ({
          batch: String(r.batch),
          encoding: String(r.encoding),
          round: Number(r.round),
        })),
        notes: run.notes ? [run.notes] : [],
      },
    ];
  },
  thresholds: (run, terms) =>
    run.rows.flatMap((row) =>
      row.levels.map((l) => ({
        scope: `BATCH=${row.batch} ${row.encoding} round ${row.round} c=${l.concurrency}`,
        verdict: judge(terms, partialSloView({ p50: l.p50Ms, p99: l.p99Ms }, l.failureRate)),
      })),
    ),
};
