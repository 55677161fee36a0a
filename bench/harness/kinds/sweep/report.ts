import { round } from '../../../../src/core/statistics.ts';
import { judge } from '../../analysis/slo-rule.ts';
import { uslThroughput } from '../../analysis/usl.ts';
import { esc, r1, table } from '../../report/html-parts.ts';
import { lineChart, type Series } from '../../report/svg-chart.ts';
import type { ResultKind } from '../../result-kind.ts';
import { sloView } from '../../runners/latency.ts';
import { type SweepRun, sweepRunSchema } from './result.ts';

/** The charts of one sweep: QPS (measured, Little's law, USL), p95/p99, latency vs throughput, failures. */
export function sweepCharts(run: SweepRun): string[] {
  const L = run.levels;
  const qps: Series[] = [
    { name: 'measured QPS', points: L.map((l) => ({ x: l.concurrency, y: l.qps })) },
    {
      name: "Little's law: concurrency / mean latency",
      points: L.map((l) => ({ x: l.concurrency, y: l.littlesLaw.derivedQps })),
      style: 'model',
    },
  ];
  const usl = run.analysis.usl;
  if (usl) {
    const maxC = Math.max(...L.map((l) => l.concurrency));
    const pts = [];
    for (let c = 1; c <= maxC; c += Math.max(1, maxC / 60))
      pts.push({ x: c, y: uslThroughput(c, usl) });
    pts.push({ x: maxC, y: uslThroughput(maxC, usl) });
    qps.push({
      name: `USL fit (sigma ${usl.sigma.toFixed(3)}, kappa ${usl.kappa.toExponential(2)}, R2 ${usl.r2.toFixed(3)})`,
      points: pts,
      style: 'model',
    });
  }
  return [
    lineChart({
      title: `${run.label}: throughput vs concurrency`,
      xLabel: 'concurrency (log scale)',
      logX: true,
      yLabel: 'QPS',
      series: qps,
    }),
    lineChart({
      title: `${run.label}: latency vs concurrency`,
      xLabel: 'concurrency (log scale)',
      logX: true,
      yLabel: 'ms',
      series: [
        { name: 'p50', points: L.map((l) => ({ x: l.concurrency, y: l.latency.p50Ms })) },
        { name: 'p95', points: L.map((l) => ({ x: l.concurrency, y: l.latency.p95Ms })) },
        { name: 'p99', points: L.map((l) => ({ x: l.concurrency, y: l.latency.p99Ms })) },
      ],
    }),
    lineChart({
      title: `${run.label}: latency vs throughput`,
      xLabel: 'QPS',
      yLabel: 'p99 ms',
      series: [
        {
          name: 'p99 at each level',
          // In throughput order: past saturation QPS can fall as concurrency rises, and
          // joining points in concurrency order drew a zigzag.
          points: L.map((l) => ({ x: l.qps, y: l.latency.p99Ms })).sort((p, q) => p.x - q.x),
        },
      ],
    }),
    lineChart({
      title: `${run.label}: failure rate`,
      xLabel: 'concurrency (log scale)',
      logX: true,
      yLabel: '% failed',
      series: [
        { name: 'failures', points: L.map((l) => ({ x: l.concurrency, y: l.failureRate * 100 })) },
      ],
    }),
  ];
}

/** What the sweep found, in words a newcomer reads without the jargon below it. */
export function plainConclusion(run: SweepRun): string {
  const a = run.analysis;
  const usable = run.levels.filter((l) => l.failureRate <= 0.01);
  if (usable.length === 0)
    return 'Every level failed more than 1% of its requests: this run measured refusals or errors, not capacity (see the warnings).';
  const peak = usable.reduce((b, l) => (l.qps > b.qps ? l : b));
  const best = usable.find((l) => l.concurrency === a.bestConcurrency);
  const parts = [
    `The server answered at most ${Math.round(peak.qps)} requests per second, reached with ${peak.concurrency} clients at once (p99 ${peak.latency.p99Ms} ms).`,
  ];
  if (best && best !== peak)
    parts.push(
      `Beyond ${best.concurrency} clients more load mostly adds waiting: ${best.concurrency} clients got ${Math.round(best.qps)}/s at p95 ${best.latency.p95Ms} ms.`,
    );
  if (a.usl && a.usl.sigma > 0.5)
    parts.push(
      'The work is mostly serial (one event loop or one core does most of it): more clients cannot raise throughput.',
    );
  else if (a.usl?.peakConcurrency)
    parts.push(
      `The fitted model expects throughput to stop rising near ${Math.round(a.usl.peakConcurrency)} clients.`,
    );
  const failing = run.levels.filter((l) => l.failureRate > 0.01).map((l) => l.concurrency);
  if (failing.length > 0)
    parts.push(
      `At ${failing.join(', ')} clients over 1% of requests failed; those levels are left out of the analysis.`,
    );
  if (a.untrustworthyLevels.length > 0)
    parts.push(
      `At ${a.untrustworthyLevels.join(', ')} clients the load generator itself was the limit; those figures understate the server.`,
    );
  return parts.join(' ');
}

function sweepSection(run: SweepRun): string {
  const a = run.analysis;
  const rows = run.levels.map((l) => [
    l.concurrency,
    r1(l.qps),
    r1(l.littlesLaw.derivedQps),
    `${(l.littlesLaw.relativeDifference * 100).toFixed(1)}%${l.littlesLaw.flagged ? ' !' : ''}`,
    l.latency.meanMs,
    l.latency.p50Ms,
    l.latency.p95Ms,
    l.latency.p99Ms,
    l.latency.maxMs,
    `${(l.failureRate * 100).toFixed(2)}%`,
    `${l.generator.cpuPercent}%${l.generator.trustworthy ? '' : ' (saturated)'}`,
  ]);
  const usl = a.usl;
  return `
<p class="verdict">${esc(plainConclusion(run))}</p>
<p>Knee: seeds' rule ${esc(a.knee.seedsRule ?? 'none')}, Kneedle ${esc(a.knee.kneedle ?? 'none')};
best concurrency by QPS/p95: <b>${esc(a.bestConcurrency ?? '-')}</b>; peak measured ${r1(a.peakMeasuredQps)} QPS.
${usl ? `USL: sigma ${usl.sigma.toFixed(4)}, kappa ${usl.kappa.toExponential(3)}, N* ${usl.peakConcurrency ? r1(usl.peakConcurrency) : 'none'}, predicted peak ${usl.peakQps ? r1(usl.peakQps) : '-'} QPS, R&sup2; ${usl.r2.toFixed(3)}.` : ''}
${run.recall ? `Recall@${run.recall.k}: <b>${run.recall.recall.toFixed(3)}</b> over ${run.recall.queries} held-out queries.` : ''}</p>
${table(['concurrency', 'QPS', "Little's law QPS", 'diff', 'mean ms', 'p50', 'p95', 'p99', 'max', 'failed', 'generator CPU'], rows)}
<div class="charts">${sweepCharts(run).join('\n')}</div>`;
}

export const sweepKind: ResultKind<SweepRun> = {
  kind: 'sweep',
  describe: 'A closed-loop sweep over concurrency levels, with its knee and USL fit.',
  schema: sweepRunSchema,
  csv: (run) => ({
    header: [
      'concurrency',
      'qps',
      'derived_qps',
      'littles_law_diff',
      'mean_ms',
      'p50_ms',
      'p95_ms',
      'p99_ms',
      'max_ms',
      'min_ms',
      'std_ms',
      'failure_rate',
      'timeouts',
      'connection_errors',
      'non2xx',
      'generator_cpu_pct',
      'trustworthy',
    ],
    rows: run.levels.map((l) => [
      l.concurrency,
      l.qps.toFixed(1),
      l.littlesLaw.derivedQps.toFixed(1),
      l.littlesLaw.relativeDifference.toFixed(4),
      l.latency.meanMs,
      l.latency.p50Ms,
      l.latency.p95Ms,
      l.latency.p99Ms,
      l.latency.maxMs,
      l.latency.minMs,
      l.latency.stdMs,
      l.failureRate.toFixed(5),
      l.errors.timeouts,
      l.errors.connectionErrors,
      Object.values(l.errors.byStatus).reduce((a, b) => a + b, 0),
      l.generator.cpuPercent,
      String(l.generator.trustworthy),
    ]),
  }),
  terminal(run) {
    console.table(
      run.levels.map((l) => ({
        c: l.concurrency,
        QPS: round(l.qps, 1),
        'c/latency': round(l.littlesLaw.derivedQps, 1),
        diff: `${(l.littlesLaw.relativeDifference * 100).toFixed(1)}%${l.littlesLaw.flagged ? ' !' : ''}`,
        'mean ms': l.latency.meanMs,
        p50: l.latency.p50Ms,
        p95: l.latency.p95Ms,
        p99: l.latency.p99Ms,
        max: l.latency.maxMs,
        failed: `${(l.failureRate * 100).toFixed(2)}%`,
        'gen CPU': `${l.generator.cpuPercent}%`,
      })),
    );
    console.log(
      `knee: seeds' rule ${run.analysis.knee.seedsRule ?? 'none'}, kneedle ${run.analysis.knee.kneedle ?? 'none'}; ` +
        `best c (QPS/p95) ${run.analysis.bestConcurrency}; USL ${
          run.analysis.usl
            ? `sigma ${run.analysis.usl.sigma.toFixed(4)} kappa ${run.analysis.usl.kappa.toExponential(2)} N* ${run.analysis.usl.peakConcurrency ? round(run.analysis.usl.peakConcurrency, 1) : 'none'} R2 ${run.analysis.usl.r2.toFixed(3)}`
            : 'n/a'
        }${run.recall ? `; recall@${run.recall.k} ${run.recall.recall.toFixed(3)}` : ''}`,
    );
  },
  html: sweepSection,
  headline(run) {
    const peak = run.levels.reduce((a, b) => (b.qps > a.qps ? b : a), run.levels[0]!);
    return {
      throughputName: `peak QPS (closed loop, c=${peak.concurrency})`,
      throughput: peak.qps,
      p99Ms: peak.latency.p99Ms,
    };
  },
  limitedBy(run) {
    const gen = run.analysis.untrustworthyLevels;
    const shed = run.levels.filter((l) => l.failureRate > 0.01).map((l) => l.concurrency);
    return [
      `server (knee at c=${run.analysis.knee.kneedle ?? run.analysis.knee.seedsRule ?? '-'})`,
      shed.length ? `refusing at c=${shed.join(', ')}` : '',
      gen.length ? `generator at c=${gen.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('; ');
  },
  thresholds: (run, terms) =>
    run.levels.map((l) => ({
      scope: `c=${l.concurrency}`,
      verdict: judge(terms, sloView(l.latency, l.failureRate)),
    })),
};
