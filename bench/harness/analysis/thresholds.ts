import type { AnyRun } from '../result.ts';
import { sloView } from '../runners/latency.ts';
import { judge, parseSlo } from './slo-rule.ts';
import type { ThresholdReport, ThresholdVerdict } from './threshold-report.ts';

export type { ThresholdReport, ThresholdVerdict } from './threshold-report.ts';

/**
 * k6-style thresholds (`--threshold 'p99<100ms' --threshold 'errors<0.1%'`) on
 * any run: a rate or mix run is judged as a whole, a sweep at every level (a
 * level that misses fails the run), a recall run at every ef point (p99
 * only), an overload run per configuration (its flood phase), smoke,
 * milvus-pool, threads and batching per row. Plan, scale and the
 * micro-benchmarks measure no request latencies and have no thresholds.
 */
export function judgeThresholds(run: AnyRun, thresholds: string[]): ThresholdReport | null {
  if (thresholds.length === 0) return null;
  const terms = parseSlo(thresholds.join(','));
  const verdicts: ThresholdVerdict[] = [];
  switch (run.kind) {
    case 'rate':
    case 'users':
    case 'mix':
      verdicts.push({
        scope: 'run',
        verdict: judge(terms, sloView(run.result.latencyAll, run.result.errorRate)),
      });
      break;
    case 'sweep':
      for (const l of run.levels)
        verdicts.push({
          scope: `c=${l.concurrency}`,
          verdict: judge(terms, sloView(l.latency, l.failureRate)),
        });
      break;
    case 'slo':
      for (const s of run.steps)
        verdicts.push({
          scope: `${s.rate}/s`,
          verdict: judge(terms, sloView(s.result.latencyAll, s.result.errorRate)),
        });
      break;
    case 'recall':
      for (const p of run.points) {
        const latencyOnly = terms.filter((t) => t.metric === 'p99' || t.metric === 'errors');
        verdicts.push({
          scope: `ef=${p.ef}`,
          verdict: judge(latencyOnly, {
            p50: Number.NaN,
            p90: Number.NaN,
            p95: Number.NaN,
            p99: p.p99Ms,
            p999: Number.NaN,
            max: Number.NaN,
            mean: Number.NaN,
            errorRate: 0,
          }),
        });
      }
      break;
    case 'overload':
      // The flood phase of each configuration: admitted latency, and anything but 200/429/503 as errors.
      for (const r of run.results) {
        const o = r.overload;
        const other = Object.values(o.otherOutcomes).reduce((a, b) => a + b, 0);
        verdicts.push({
          scope: r.configuration,
          verdict: judge(terms, partialView(o.admittedMs, other / Math.max(1, o.offered))),
        });
      }
      break;
    case 'smoke':
      for (const r of run.results)
        verdicts.push({
          scope: `${r.target} c=${r.concurrency}`,
          verdict: judge(
            terms,
            partialView(
              { ...r.latencyMs },
              (r.errors + r.non2xx) / Math.max(1, r.requests + r.errors),
            ),
          ),
        });
      break;
    case 'milvus-pool':
      for (const r of run.results)
        verdicts.push({
          scope: `${r.variant} c=${r.concurrency}`,
          verdict: judge(
            terms,
            partialView(
              { p50: r.p50Ms, p99: r.p99Ms, mean: r.meanMs },
              r.errors / Math.max(1, r.errors + r.qps * run.durationSeconds),
            ),
          ),
        });
      break;
    case 'floor':
      for (const r of run.rows)
        verdicts.push({
          scope: `${r.config} round ${r.round}`,
          verdict: judge(
            terms,
            partialView(
              { p50: r.p50Ms, p99: r.p99Ms },
              (r.non2xx + r.socketErrors) / Math.max(1, r.okPerSecond * run.seconds + r.non2xx),
            ),
          ),
        });
      break;
    case 'threads':
    case 'batching':
      for (const row of run.rows)
        for (const l of row.levels)
          verdicts.push({
            scope: `${'searchThreads' in row ? `SEARCH_THREADS=${row.searchThreads}` : `BATCH=${row.batch} ${row.encoding}`} round ${row.round} c=${l.concurrency}`,
            verdict: judge(terms, partialView({ p50: l.p50Ms, p99: l.p99Ms }, l.failureRate)),
          });
      break;
    default:
      // plan, scale and the micro-benchmarks measure no request latencies.
      return null;
  }
  return { thresholds, pass: verdicts.every((v) => v.verdict.pass), verdicts };
}

/** The figures a command recorded; a threshold on one it did not record fails, saying so. */
function partialView(
  ms: { p50?: number; p95?: number; p99?: number; max?: number; mean?: number },
  errorRate: number,
) {
  const v = (x: number | undefined) => (x === undefined ? Number.NaN : x);
  return {
    p50: v(ms.p50),
    p90: Number.NaN,
    p95: v(ms.p95),
    p99: v(ms.p99),
    p999: Number.NaN,
    max: v(ms.max),
    mean: v(ms.mean),
    errorRate,
  };
}

/** One line per judged scope: ✓/✗ and every term with its measured value. */
export function formatThresholds(report: ThresholdReport): string {
  const lines = report.verdicts.map(
    (v) =>
      `${v.verdict.pass ? 'PASS' : 'FAIL'} ${v.scope}: ${v.verdict.terms
        .map(
          (t) =>
            `${t.text} (${Number.isNaN(t.actual) ? 'not measured by this command' : `measured ${t.text.startsWith('errors') ? `${(t.actual * 100).toFixed(3)}%` : `${Math.round(t.actual * 100) / 100} ms`}`})${t.pass ? '' : ' MISSED'}`,
        )
        .join(', ')}`,
  );
  lines.push(`thresholds ${report.pass ? 'passed' : 'FAILED'}: ${report.thresholds.join(', ')}`);
  return lines.join('\n');
}
