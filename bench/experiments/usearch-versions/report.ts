import { round } from '../../../src/core/statistics.ts';
import type { ResultKind } from '../../harness/result-kind.ts';
import { type UsearchVersionsRun, usearchVersionsRunSchema } from './result.ts';

export const usearchVersionsKind: ResultKind<UsearchVersionsRun> = {
  kind: 'usearch-versions',
  describe: 'usearch releases side by side under each Node binary.',
  schema: usearchVersionsRunSchema,
  tables(run) {
    return [
      {
        title: 'usearch releases side by side (rounds alternate)',
        rows: run.rows.map((r) => ({
          round: r.round,
          node: r.node,
          usearch: r.usearch,
          'build s': round(r.buildSeconds),
          'QPS one thread': Math.round(r.searchQpsOneThread),
          'p99 ms': round(r.searchP99Ms),
          'recall@10': round(r.recallAt10 * 1000) / 1000,
        })),
      },
    ];
  },
};
