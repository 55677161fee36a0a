import type { ResultKind } from '../../harness/result-kind.ts';
import { type RateLimitStoreRun, rateLimitStoreRunSchema } from './result.ts';

export const rateLimitStoreKind: ResultKind<RateLimitStoreRun> = {
  kind: 'rate-limit-store',
  describe: 'What the cluster-wide rate limit adds to a request.',
  schema: rateLimitStoreRunSchema,
  tables(run) {
    return [
      {
        title: `the rate limit's store: none, per worker, Redis (wrk c=${run.connections}, median of ${run.rounds} rounds of ${run.seconds} s)`,
        rows: run.summary.map((s) => ({ ...s, p99RangeMs: s.p99RangeMs.join('-') })),
        notes: [
          `Redis over per-worker: p99 ${run.addedP99Ms.overLocal} ms; over none: ${run.addedP99Ms.overNone} ms`,
          `${run.goal.pass ? 'PASS' : 'FAIL'} ${run.goal.what}`,
        ],
      },
    ];
  },
};
