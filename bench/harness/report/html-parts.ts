import type { SecondFigures } from '../runners/time-series.ts';
import { lineChart, type Series } from './svg-chart.ts';
import type { Table } from './table.ts';

/** The pieces every kind's HTML section is built from. */

export const esc = (s: unknown) =>
  String(s).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
export const r1 = (v: number) => (Number.isFinite(v) ? Math.round(v * 10) / 10 : v);

export function table(header: string[], rows: unknown[][]): string {
  return `<table><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

export function renderTables(tables: Table[]): string {
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

/** What limited the run, each with its figure (from the run's own measurements). */
export function bottleneckList(items: string[] | undefined): string {
  if (!items?.length) return '';
  return `<p><b>What limited this run:</b></p><ul class="verdict">${items.map((b) => `<li>${esc(b)}</li>`).join('')}</ul>`;
}

export function stageTable(stages: Record<string, unknown>[]): string {
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
