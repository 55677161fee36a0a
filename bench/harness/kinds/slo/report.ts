import { round } from '../../../../src/core/statistics.ts';
import { judge } from '../../analysis/slo-rule.ts';
import { esc, r1, table } from '../../report/html-parts.ts';
import { lineChart } from '../../report/svg-chart.ts';
import type { ResultKind } from '../../result-kind.ts';
import { sloView } from '../../runners/latency.ts';
import { type SloRun, sloRunSchema } from './result.ts';

export const sloKind: ResultKind<SloRun> = {
  kind: 'slo',
  describe: 'The highest open-loop rate that keeps an SLO rule, found step by step.',
  schema: sloRunSchema,
  csv: (run) => ({
    header: ['rate', 'pass', 'ok_per_s', 'p50_ms', 'p99_ms', 'error_rate', 'late', 'dropped'],
    rows: run.steps.map((s) => [
      s.rate,
      String(s.pass),
      s.result.okPerSecond.toFixed(1),
      s.result.latency.p50Ms,
      s.result.latency.p99Ms,
      s.result.errorRate.toFixed(5),
      s.result.late,
      s.result.dropped,
    ]),
  }),
  terminal(run) {
    console.table(
      run.steps.map((s) => ({
        rate: s.rate,
        pass: s.pass,
        'ok/s': round(s.result.okPerSecond, 1),
        p99: s.result.latency.p99Ms,
        errors: `${(s.result.errorRate * 100).toFixed(3)}%`,
      })),
    );
    console.log(
      `highest passing rate: ${run.maxPassingRate ?? 'none'}/s${run.required ? `; required ${run.required.rate}/s: ${run.required.pass ? 'PASS' : 'FAIL'}` : ''}`,
    );
  },
  html: (
    run,
  ) => `<p>Rule <code>${esc(run.rule)}</code>: highest passing rate <b>${esc(run.maxPassingRate ?? 'none')}</b>/s${run.required ? `; required ${run.required.rate}/s: ${run.required.pass ? 'PASS' : 'FAIL'}` : ''}.</p>
${table(
  ['rate', 'verdict', 'ok/s', 'p50 ms', 'p99 ms', 'errors'],
  run.steps.map((s) => [
    s.rate,
    s.pass ? 'pass' : 'fail',
    r1(s.result.okPerSecond),
    s.result.latency.p50Ms,
    s.result.latency.p99Ms,
    `${(s.result.errorRate * 100).toFixed(3)}%`,
  ]),
)}
<div class="charts">${lineChart({ title: `${run.label}: p99 vs offered rate`, xLabel: 'offered rate (/s)', yLabel: 'p99 ms', series: [{ name: 'p99', points: run.steps.map((s) => ({ x: s.rate, y: s.result.latency.p99Ms })) }] })}</div>`,
  headline(run) {
    const best = run.steps.find((s) => s.rate === run.maxPassingRate);
    return {
      throughputName: `highest rate within ${run.rule}`,
      throughput: run.maxPassingRate ?? 0,
      p99Ms: best?.result.latency.p99Ms ?? null,
    };
  },
  limitedBy(run) {
    const peak = run.closedLoopPeak
      ? `; the highest passing rate is ${Math.round((run.passingShareOfPeak ?? 0) * 100)}% of the closed-loop peak (${run.closedLoopPeak.okPerSecond}/s at c=${run.closedLoopPeak.concurrency})`
      : '';
    const fail = run.steps.filter((s) => !s.pass).sort((a, b) => a.rate - b.rate)[0];
    if (!fail) return `no rate up to ${Math.max(...run.steps.map((s) => s.rate))}/s failed${peak}`;
    const missed = fail.verdict.terms.filter((t) => !t.pass).map((t) => t.text);
    return missed.length
      ? `${fail.rate}/s missed ${missed.join(', ')}${peak}`
      : `the generator: at ${fail.rate}/s it sent ${Math.round(fail.result.achievedSendRate)}/s${peak}`;
  },
  thresholds: (run, terms) =>
    run.steps.map((s) => ({
      scope: `${s.rate}/s`,
      verdict: judge(terms, sloView(s.result.latencyAll, s.result.errorRate)),
    })),
  failed: (run) => run.required !== null && !run.required.pass,
};
