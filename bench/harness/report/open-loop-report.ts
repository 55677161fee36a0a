import { round } from '../../../src/core/statistics.ts';
import { judge, type SloTerm } from '../analysis/slo-rule.ts';
import type { ThresholdVerdict } from '../analysis/threshold-report.ts';
import type { RunEnvelope } from '../result-envelope.ts';
import type { Headline } from '../result-kind.ts';
import { sloView } from '../runners/latency.ts';
import type { OpenLoopResult } from '../runners/open-loop.ts';
import { bottleneckList, r1, stageTable, table, timeSeriesCharts } from './html-parts.ts';

/** What the open-loop kinds (rate, mix, users) render alike: they differ in how the load was shaped. */
type OpenLoopRun = RunEnvelope & { result: OpenLoopResult };

export function openLoopCsv(run: OpenLoopRun) {
  return {
    header: ['scenario', 'ok', 'failed', 'mean_ms', 'p50_ms', 'p95_ms', 'p99_ms', 'max_ms'],
    rows: Object.entries(run.result.scenarios).map(([name, s]) => [
      name,
      s.ok,
      s.failed,
      s.latency.meanMs,
      s.latency.p50Ms,
      s.latency.p95Ms,
      s.latency.p99Ms,
      s.latency.maxMs,
    ]),
  };
}

export function openLoopTerminal(run: OpenLoopRun): void {
  console.table(
    Object.entries(run.result.scenarios).map(([name, s]) => ({
      scenario: name,
      ok: s.ok,
      failed: s.failed,
      p50: s.latency.p50Ms,
      p95: s.latency.p95Ms,
      p99: s.latency.p99Ms,
      max: s.latency.maxMs,
    })),
  );
  console.log(
    `target ${round(run.result.targetRate, 1)}/s, achieved send ${round(run.result.achievedSendRate, 1)}/s, ok ${round(run.result.okPerSecond, 1)}/s, ` +
      `late ${run.result.late}, dropped ${run.result.dropped}, errors ${(run.result.errorRate * 100).toFixed(3)}%`,
  );
  if (run.result.stages?.length > 1) console.table(run.result.stages);
  for (const b of run.result.bottlenecks ?? []) console.log(`bottleneck: ${b}`);
}

/** The HTML section; `extra` follows the error rate in the first sentence (mix: vectors/s). */
export function openLoopHtml(run: OpenLoopRun, extra = ''): string {
  const r = run.result;
  const rows = Object.entries(r.scenarios).map(([name, s]) => [
    name,
    s.ok,
    s.failed,
    s.latency.p50Ms,
    s.latency.p95Ms,
    s.latency.p99Ms,
    s.latency.maxMs,
  ]);
  return `<p>Target ${r1(r.targetRate)}/s, sent ${r.sent} of ${r.intended} (late ${r.late}, dropped ${r.dropped}), ${r1(r.okPerSecond)} ok/s,
errors ${(r.errorRate * 100).toFixed(3)}%${extra}.</p>
${bottleneckList(r.bottlenecks)}
${table(['scenario', 'ok', 'failed', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'], rows)}
${r.stages?.length > 1 ? stageTable(r.stages) : ''}
${timeSeriesCharts(run.label, r.timeSeries ?? [])}`;
}

export function openLoopHeadline(run: OpenLoopRun): Headline {
  // A staged run is judged by its last (heaviest) stage, not by the average over all of them.
  const last = run.result.stages?.length > 1 ? run.result.stages.at(-1) : undefined;
  if (last)
    return {
      throughputName: `ok/s in the last stage (${Math.round(last.offeredPerSecond)}/s offered)`,
      throughput: last.okPerSecond,
      p99Ms: last.p99Ms,
    };
  return {
    throughputName: 'ok/s',
    throughput: run.result.okPerSecond,
    p99Ms: run.result.latency.p99Ms,
  };
}

export function openLoopLimitedBy(run: OpenLoopRun): string {
  return run.result.bottlenecks?.[0]?.split(':')[0] ?? '-';
}

export function openLoopThresholds(run: OpenLoopRun, terms: SloTerm[]): ThresholdVerdict[] {
  return [
    { scope: 'run', verdict: judge(terms, sloView(run.result.latencyAll, run.result.errorRate)) },
  ];
}

/** The parts every open-loop kind uses as they are. */
export const openLoopReport = {
  csv: openLoopCsv,
  terminal: openLoopTerminal,
  headline: openLoopHeadline,
  limitedBy: openLoopLimitedBy,
  thresholds: openLoopThresholds,
  timeSeries: (run: OpenLoopRun) => run.result.timeSeries ?? [],
};
