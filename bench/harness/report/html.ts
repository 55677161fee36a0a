import { uslThroughput } from '../analysis/usl.ts';
import type { AnyRun, SweepRun } from '../result.ts';
import type { SecondFigures } from '../runners/time-series.ts';
import { lineChart, type Series } from './svg-chart.ts';
import { headline, runTables, type Table } from './tables.ts';

const esc = (s: unknown) =>
  String(s).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
const r1 = (v: number) => (Number.isFinite(v) ? Math.round(v * 10) / 10 : v);

function table(header: string[], rows: unknown[][]): string {
  return `<table><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

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

/** What limited the run, each with its figure (from the run's own measurements). */
function bottleneckList(items: string[] | undefined): string {
  if (!items?.length) return '';
  return `<p><b>What limited this run:</b></p><ul class="verdict">${items.map((b) => `<li>${esc(b)}</li>`).join('')}</ul>`;
}

function stageTable(stages: Record<string, unknown>[]): string {
  const header = [...new Set(stages.flatMap((s) => Object.keys(s)))];
  return `<h3>Per stage</h3>${table(
    header,
    stages.map((st) =>
      header.map((h) => (typeof st[h] === 'number' ? r1(st[h] as number) : (st[h] ?? ''))),
    ),
  )}`;
}

/** The per-second series of an open-loop or users run: load, latency, errors and the server. */
export function timeSeriesCharts(label: string, rows: SecondFigures[]): string {
  if (rows.length === 0) return '';
  const line = (name: string, y: (r: SecondFigures) => number | null | undefined): Series => ({
    name,
    points: rows
      .map((r) => ({ x: r.second, y: y(r) }))
      .filter((p): p is { x: number; y: number } => typeof p.y === 'number'),
  });
  const errorKinds = [...new Set(rows.flatMap((r) => Object.keys(r.errors)))];
  return `<h3>Per second</h3><div class="charts">
${lineChart({ title: `${label}: requests per second`, xLabel: 'second', yLabel: 'requests', series: [line('offered', (r) => r.offered), line('sent', (r) => r.sent), line('ok', (r) => r.ok), line('in flight', (r) => r.inFlight)] })}
${lineChart({ title: `${label}: latency per second`, xLabel: 'second', yLabel: 'ms', series: [line('p50', (r) => r.p50Ms), line('p95', (r) => r.p95Ms), line('p99', (r) => r.p99Ms)] })}
${errorKinds.length ? lineChart({ title: `${label}: errors per second`, xLabel: 'second', yLabel: 'requests', series: errorKinds.map((k) => line(k, (r) => r.errors[k] ?? 0)) }) : ''}
${lineChart({ title: `${label}: the server, sampled each second`, xLabel: 'second', yLabel: '% of a core / ms / MB', series: [line('CPU %', (r) => r.server?.cpuPercent), line('event-loop lag ms', (r) => r.server?.eventLoopLagMs), line('admission queue', (r) => r.server?.admissionQueued), line('waiting for a pool client', (r) => r.server?.poolWaiting)] })}
${rows.some((r) => r.server?.cacheHitRatio != null) ? lineChart({ title: `${label}: result cache hit ratio, sampled each second`, xLabel: 'second', yLabel: 'hits / lookups', series: [line('hit ratio', (r) => r.server?.cacheHitRatio)] }) : ''}
</div>`;
}

/** The --threshold verdicts of a run, PASS/FAIL per scope with the measured figures. */
function thresholdSection(run: AnyRun): string {
  const t = run.thresholds;
  if (!t) return '';
  return `<p><b>Thresholds ${t.pass ? 'passed' : 'FAILED'}</b>: ${t.thresholds.map((x) => `<code>${esc(x)}</code>`).join(', ')}</p>
${table(
  ['scope', 'verdict', 'terms'],
  t.verdicts.map((v) => [
    v.scope,
    v.verdict.pass ? 'PASS' : 'FAIL',
    v.verdict.terms
      .map(
        (x) =>
          `${x.text}: ${Number.isNaN(x.actual) ? 'not measured' : x.text.startsWith('errors') ? `${(x.actual * 100).toFixed(3)}%` : `${r1(x.actual)} ms`}${x.pass ? '' : ' (missed)'}`,
      )
      .join('; '),
  ]),
)}`;
}

function renderTables(tables: Table[]): string {
  return tables
    .map((t) => {
      const header = [...new Set(t.rows.flatMap((r) => Object.keys(r)))];
      return `<h3>${esc(t.title)}</h3>${table(
        header,
        t.rows.map((r) => header.map((h) => r[h] ?? '')),
      )}${t.notes?.length ? `<ul>${t.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}`;
    })
    .join('\n');
}

function runSection(run: AnyRun): string {
  switch (run.kind) {
    case 'overload':
    case 'smoke':
    case 'milvus-pool':
    case 'admission-micro':
    case 'validation-micro':
    case 'threads':
    case 'batching':
    case 'scale':
    case 'usearch-versions':
    case 'floor':
    case 'outage':
    case 'hosts':
    case 'rate-limit-store':
    case 'failover':
    case 'result-cache':
    case 'ingest':
      return renderTables(runTables(run));
    case 'sweep':
      return sweepSection(run);
    case 'rate':
    case 'users':
    case 'mix': {
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
errors ${(r.errorRate * 100).toFixed(3)}%${run.kind === 'mix' ? `, ${r1(run.vectorsPerSecond)} vectors/s` : ''}.</p>
${bottleneckList(r.bottlenecks)}
${table(['scenario', 'ok', 'failed', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'], rows)}
${r.stages?.length > 1 ? stageTable(r.stages) : ''}
${timeSeriesCharts(run.label, r.timeSeries ?? [])}`;
    }
    case 'slo':
      return `<p>Rule <code>${esc(run.rule)}</code>: highest passing rate <b>${esc(run.maxPassingRate ?? 'none')}</b>/s${run.required ? `; required ${run.required.rate}/s: ${run.required.pass ? 'PASS' : 'FAIL'}` : ''}.</p>
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
<div class="charts">${lineChart({ title: `${run.label}: p99 vs offered rate`, xLabel: 'offered rate (/s)', yLabel: 'p99 ms', series: [{ name: 'p99', points: run.steps.map((s) => ({ x: s.rate, y: s.result.latency.p99Ms })) }] })}</div>`;
    case 'recall':
      return `${table(
        ['ef', `recall@${run.k}`, 'QPS', 'p99 ms'],
        run.points.map((p) => [p.ef, p.recall.toFixed(4), r1(p.qps), p.p99Ms]),
      )}
<div class="charts">${lineChart({ title: `${run.label}: recall vs QPS`, xLabel: 'QPS', yLabel: `recall@${run.k}`, series: [{ name: 'ef sweep', points: run.points.map((p) => ({ x: p.qps, y: p.recall })) }] })}</div>`;
    case 'plan':
      return `${table(
        ['', ''],
        Object.entries(run.plan)
          .filter(([, v]) => typeof v === 'number')
          .map(([k, v]) => [k, r1(v as number)]),
      )}<ul>${run.plan.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`;
  }
}

/** Runs side by side by their headline figures, each against the first of its kind. */
function headlines(runs: AnyRun[]): string {
  const rows: unknown[][] = [];
  const first = new Map<string, ReturnType<typeof headline>>();
  for (const run of runs) {
    const h = headline(run);
    if (!h) continue;
    const base = first.get(run.kind) ?? h;
    first.set(run.kind, base);
    rows.push([
      run.label,
      run.kind,
      h.throughputName,
      r1(h.throughput),
      base.throughput > 0 ? `${(h.throughput / base.throughput).toFixed(2)}x` : '-',
      h.p99Ms === null ? '-' : r1(h.p99Ms),
      h.p99Ms !== null && base.p99Ms ? `${(h.p99Ms / base.p99Ms).toFixed(2)}x` : '-',
      run.environment.gitCommit ? String(run.environment.gitCommit).slice(0, 8) : '-',
    ]);
  }
  if (rows.length < 2) return '';
  return `<section><h2>Runs compared</h2>
<p>Each run against the first run of its kind in this report (ratios measured on the same machine are the figures to trust; absolute ones move with the machine's other load).</p>
${table(['run', 'kind', 'figure', 'value', 'vs first', 'p99 ms', 'p99 vs first', 'commit'], rows)}</section>`;
}

function comparison(runs: AnyRun[]): string {
  const sweeps = runs.filter((r): r is SweepRun => r.kind === 'sweep');
  if (sweeps.length < 2) return headlines(runs);
  const rows = sweeps.map((s) => {
    const best = s.levels.find((l) => l.concurrency === s.analysis.bestConcurrency);
    return [
      s.label,
      r1(s.analysis.peakMeasuredQps),
      s.analysis.bestConcurrency ?? '-',
      best?.latency.p99Ms ?? '-',
      s.environment.gitCommit ? String(s.environment.gitCommit).slice(0, 8) : '-',
    ];
  });
  const base = sweeps[0]!.analysis.peakMeasuredQps;
  return `${headlines(runs)}<section><h2>Sweeps compared</h2>
${table(['run', 'peak QPS', 'best concurrency', 'p99 there (ms)', 'commit'], rows)}
<p>Peak QPS relative to the first run: ${sweeps.map((s) => `${esc(s.label)} ${base > 0 ? (s.analysis.peakMeasuredQps / base).toFixed(2) : '-'}x`).join(', ')}.</p>
<div class="charts">
${lineChart({
  title: 'QPS vs concurrency, all runs',
  xLabel: 'concurrency (log scale)',
  logX: true,
  yLabel: 'QPS',
  series: sweeps.map((s) => ({
    name: s.label,
    points: s.levels.map((l) => ({ x: l.concurrency, y: l.qps })),
  })),
})}
${lineChart({
  title: 'p99 vs concurrency, all runs',
  xLabel: 'concurrency (log scale)',
  logX: true,
  yLabel: 'p99 ms',
  series: sweeps.map((s) => ({
    name: s.label,
    points: s.levels.map((l) => ({ x: l.concurrency, y: l.latency.p99Ms })),
  })),
})}
</div></section>`;
}

export function renderHtml(runs: AnyRun[], title = 'vecserve benchmark report'): string {
  const sections = runs
    .map((run) => {
      const env = run.environment as Record<string, unknown>;
      return `<section><h2>${esc(run.label)} <small>(${esc(run.kind)}, ${esc(run.createdAt)})</small></h2>
<p class="meta">target ${esc(run.target?.url ?? '-')} ${run.target ? `&middot; ${esc(run.target.collection)}: ${run.target.count} x ${run.target.dimension}-d, ${esc(run.target.metric)}, backend ${esc(run.target.backend)}` : ''}
&middot; node ${esc(env.node)} &middot; ${esc(env.cpus)} CPUs (${esc(env.cpuModel)}) &middot; commit ${esc(String(env.gitCommit ?? '-').slice(0, 8))}${env.gitDirty ? ' (dirty)' : ''}</p>
${run.kind !== 'sweep' && run.recall ? `<p>Recall@${run.recall.k} of the served results: <b>${run.recall.recall.toFixed(3)}</b> (${run.recall.queries} held-out queries, exact ground truth).</p>` : ''}
${run.warnings.length ? `<div class="warn"><b>Not trustworthy:</b><ul>${run.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul></div>` : ''}
${thresholdSection(run)}
${runSection(run)}</section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:.5rem 0;font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f4f4f4}.charts{display:flex;flex-wrap:wrap;gap:12px}.meta{color:#666;font-size:13px}
.warn{background:#fff4e5;border:1px solid #f0b060;padding:.3rem 1rem;margin:.5rem 0}section{margin-bottom:2.5rem}
</style></head><body><h1>${esc(title)}</h1>
${comparison(runs)}
${sections}
</body></html>
`;
}
