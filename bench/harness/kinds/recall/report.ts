import { round } from '../../../../src/core/statistics.ts';
import { judge } from '../../analysis/slo-rule.ts';
import { r1, table } from '../../report/html-parts.ts';
import { lineChart } from '../../report/svg-chart.ts';
import type { ResultKind } from '../../result-kind.ts';
import { type RecallRun, recallRunSchema } from './result.ts';

export const recallKind: ResultKind<RecallRun> = {
  kind: 'recall',
  describe: 'recall@k against exact ground truth, QPS and p99 per ef.',
  schema: recallRunSchema,
  csv: (run) => ({
    header: ['ef', 'recall', 'qps', 'p99_ms', 'concurrency'],
    rows: run.points.map((p) => [
      p.ef,
      p.recall.toFixed(4),
      p.qps.toFixed(1),
      p.p99Ms,
      p.concurrency,
    ]),
  }),
  terminal(run) {
    console.table(
      run.points.map((p) => ({
        ef: p.ef,
        recall: p.recall.toFixed(4),
        QPS: round(p.qps, 1),
        p99: p.p99Ms,
      })),
    );
  },
  html: (run) => `${table(
    ['ef', `recall@${run.k}`, 'QPS', 'p99 ms'],
    run.points.map((p) => [p.ef, p.recall.toFixed(4), r1(p.qps), p.p99Ms]),
  )}
<div class="charts">${lineChart({ title: `${run.label}: recall vs QPS`, xLabel: 'QPS', yLabel: `recall@${run.k}`, series: [{ name: 'ef sweep', points: run.points.map((p) => ({ x: p.qps, y: p.recall })) }] })}</div>`,
  // recall measures p99 per ef point, and nothing else of the latency.
  thresholds: (run, terms) =>
    run.points.map((p) => ({
      scope: `ef=${p.ef}`,
      verdict: judge(
        terms.filter((t) => t.metric === 'p99' || t.metric === 'errors'),
        {
          p50: Number.NaN,
          p90: Number.NaN,
          p95: Number.NaN,
          p99: p.p99Ms,
          p999: Number.NaN,
          max: Number.NaN,
          mean: Number.NaN,
          errorRate: 0,
        },
      ),
    })),
};
