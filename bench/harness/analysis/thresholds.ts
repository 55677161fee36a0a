import { type AnyRun, kindOf } from '../result.ts';
import { parseSlo } from './slo-rule.ts';
import type { ThresholdReport } from './threshold-report.ts';

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
  const kind = kindOf(run);
  // plan, scale and the micro-benchmarks measure no request latencies.
  if (!kind.thresholds) return null;
  const verdicts = kind.thresholds(run, terms);
  return { thresholds, pass: verdicts.every((v) => v.verdict.pass), verdicts };
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
