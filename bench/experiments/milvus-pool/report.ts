import { judge, partialSloView } from '../../harness/analysis/slo-rule.ts';
import type { ThresholdVerdict } from '../../harness/analysis/threshold-report.ts';
import type { ResultKind } from '../../harness/result-kind.ts';
import { type MilvusPoolRun, milvusPoolRunSchema } from './result.ts';

export const milvusPoolKind: ResultKind<MilvusPoolRun> = {
  kind: 'milvus-pool',
  describe: 'Ways of reaching Milvus from Node, side by side.',
  schema: milvusPoolRunSchema,
  tables(run) {
    return [
      {
        title: `ways to reach Milvus, closed loop, pool ${run.poolSize}`,
        rows: run.results.map((r) => ({
          variant: r.variant,
          ...(r.round !== undefined && { round: r.round }),
          c: r.concurrency,
          QPS: r.qps,
          ...(r.serverCpuMsPerRequest !== undefined && {
            'server CPU ms/req': r.serverCpuMsPerRequest,
          }),
          'p50 ms': r.p50Ms,
          'p99 ms': r.p99Ms,
          errors: r.errors,
          'errors by': r.errorsBy
            ? Object.entries(r.errorsBy)
                .map(([k, n]) => `${k} ${n}`)
                .join(', ')
            : '',
        })),
      },
      {
        title: 'the API over direct calls (QPS ratios)',
        rows: run.apiOverDirect.map((r) => ({ ...r })),
      },
    ];
  },
  thresholds(run, terms) {
    const verdicts: ThresholdVerdict[] = [];
    for (const r of run.results)
      verdicts.push({
        scope: `${r.variant} c=${r.concurrency}`,
        verdict: judge(
          terms,
          partialSloView(
            { p50: r.p50Ms, p99: r.p99Ms, mean: r.meanMs },
            r.errors / Math.max(1, r.errors + r.qps * run.durationSeconds),
          ),
        ),
      });
    return verdicts;
  },
};
