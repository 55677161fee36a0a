import { judge, partialSloView } from '../../harness/analysis/slo-rule.ts';
import type { ThresholdVerdict } from '../../harness/analysis/threshold-report.ts';
import type { ResultKind } from '../../harness/result-kind.ts';
import { type SmokeRun, smokeRunSchema } from './result.ts';

export const smokeKind: ResultKind<SmokeRun> = {
  kind: 'smoke',
  describe: 'Start-up to the first search, and /search next to bare Hono routes.',
  schema: smokeRunSchema,
  tables(run) {
    return [
      {
        title: `start-up: cold ${run.startup.coldToFirstSearchMs} ms, warm ${run.startup.warmToFirstSearchMs} ms to the first search`,
        rows: run.results.map((r) => ({
          target: r.target,
          c: r.concurrency,
          QPS: r.qps,
          'p50 ms': r.latencyMs.p50,
          'p99 ms': r.latencyMs.p99,
          errors: r.errors + r.non2xx,
        })),
      },
    ];
  },
  thresholds(run, terms) {
    const verdicts: ThresholdVerdict[] = [];
    for (const r of run.results)
      verdicts.push({
        scope: `${r.target} c=${r.concurrency}`,
        verdict: judge(
          terms,
          partialSloView(
            { ...r.latencyMs },
            (r.errors + r.non2xx) / Math.max(1, r.requests + r.errors),
          ),
        ),
      });
    return verdicts;
  },
};
