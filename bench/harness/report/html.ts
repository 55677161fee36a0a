import type { SweepRun } from '../kinds/sweep/result.ts';
import { type AnyRun, kindOf } from '../result.ts';
import { esc, r1, renderTables, table } from './html-parts.ts';
import { lineChart } from './svg-chart.ts';
import { headline, runTables } from './tables.ts';

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

function runSection(run: AnyRun): string {
  const kind = kindOf(run);
  return kind.html ? kind.html(run) : renderTables(runTables(run));
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
