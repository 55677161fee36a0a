import type { AnyRun } from '../result.ts';
import { sloView } from '../runners/latency.ts';
import { judge, parseSlo, type SloVerdict } from './slo-rule.ts';

export interface ThresholdVerdict {
  /** What was judged: the whole run, or one level of a sweep / one step of an slo search. */
  scope: string;
  verdict: SloVerdict;
}

export interface ThresholdReport {
  thresholds: string[];
  pass: boolean;
  verdicts: ThresholdVerdict[];
}

/**
 * k6-style thresholds (`--threshold 'p99<100ms' --threshold 'errors<0.1%'`) on
 * any run: a rate or mix run is judged as a whole, a sweep at every level (a
 * level that misses fails the run), a recall run at every ef point (p99
 * only). Plan runs measure nothing and have no thresholds.
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
    case 'plan':
      return null;
  }
  return { thresholds, pass: verdicts.every((v) => v.verdict.pass), verdicts };
}

/** One line per judged scope: ✓/✗ and every term with its measured value. */
export function formatThresholds(report: ThresholdReport): string {
  const lines = report.verdicts.map(
    (v) =>
      `${v.verdict.pass ? 'PASS' : 'FAIL'} ${v.scope}: ${v.verdict.terms
        .map(
          (t) =>
            `${t.text} (measured ${t.text.startsWith('errors') ? `${(t.actual * 100).toFixed(3)}%` : `${Math.round(t.actual * 100) / 100} ms`})${t.pass ? '' : ' MISSED'}`,
        )
        .join(', ')}`,
  );
  lines.push(`thresholds ${report.pass ? 'passed' : 'FAILED'}: ${report.thresholds.join(', ')}`);
  return lines.join('\n');
}
