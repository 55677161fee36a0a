import { accessSync, constants, existsSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { makeDirs } from '../../../src/core/make-dirs.ts';
import { type AnyRun, kindOf } from '../result.ts';
import type { SecondFigures } from '../runners/time-series.ts';
import { runTables } from './tables.ts';

/** A CSV cell: quoted when it holds a comma, a quote or a newline. */
function csvCell(v: unknown): string {
  const text = v === null || v === undefined ? '' : String(v);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV row per measured point of a run (levels, steps, ef values...). */
export function toCsv(run: AnyRun): string {
  const kind = kindOf(run);
  let header: string[] = [];
  let values: (string | number)[][] = [];
  if (kind.csv) ({ header, rows: values } = kind.csv(run));
  else {
    // The first table of the run: the rows a spreadsheet wants.
    const t = runTables(run)[0];
    if (t) {
      header = [...new Set(t.rows.flatMap((r) => Object.keys(r)))];
      values = t.rows.map((r) => header.map((h) => csvCell(r[h])));
    }
  }
  return `${[header, ...values].map((r) => r.join(',')).join('\n')}\n`;
}

/** The per-second figures of an open-loop run as CSV (Locust's stats_history). */
export function timeSeriesCsv(rows: SecondFigures[]): string {
  const kinds = [...new Set(rows.flatMap((r) => Object.keys(r.errors)))].sort();
  const header = [
    'second',
    'offered',
    'sent',
    'completed',
    'ok',
    'p50_ms',
    'p95_ms',
    'p99_ms',
    'in_flight',
    ...kinds.map((k) => `errors_${k}`),
    'server_cpu_percent',
    'server_rss_mb',
    'server_event_loop_lag_ms',
    'server_admission_in_flight',
    'server_admission_queued',
    'server_pool_borrowed',
    'server_pool_waiting',
    'server_cache_hit_ratio',
  ];
  const cell = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(v));
  const lines = rows.map((r) =>
    [
      r.second,
      r.offered,
      r.sent,
      r.completed,
      r.ok,
      cell(r.p50Ms),
      cell(r.p95Ms),
      cell(r.p99Ms),
      r.inFlight,
      ...kinds.map((k) => r.errors[k] ?? 0),
      cell(r.server?.cpuPercent),
      cell(r.server?.rssMb),
      cell(r.server?.eventLoopLagMs),
      cell(r.server?.admissionInFlight),
      cell(r.server?.admissionQueued),
      cell(r.server?.poolBorrowed),
      cell(r.server?.poolWaiting),
      cell(r.server?.cacheHitRatio),
    ].join(','),
  );
  return `${[header.join(','), ...lines].join('\n')}\n`;
}

/**
 * Throws unless the result can be written at `out` (its directory made, and
 * writable): checked before a run, so a typo in --out does not lose an hour
 * of measurement at the end.
 */
export function checkWritable(out: string): void {
  const dir = dirname(out);
  makeDirs(dir);
  accessSync(dir, constants.W_OK);
  const json = out.endsWith('.json') ? out : `${out}.json`;
  if (existsSync(json)) accessSync(json, constants.W_OK);
}

/**
 * Writes FILE.json and FILE.csv (the CSV next to the JSON), and for open-loop
 * runs FILE.timeseries.csv with one row per second.
 */
export function writeRun(
  run: AnyRun,
  out: string,
): { json: string; csv: string; timeSeries: string | null } {
  makeDirs(dirname(out));
  const json = out.endsWith('.json') ? out : `${out}.json`;
  const csv = json.replace(/\.json$/, '.csv');
  writeFileSync(json, `${JSON.stringify(run, null, 2)}\n`);
  writeFileSync(csv, toCsv(run));
  let timeSeries: string | null = null;
  const seconds = kindOf(run).timeSeries?.(run) ?? [];
  if (seconds.length > 0) {
    timeSeries = json.replace(/\.json$/, '.timeseries.csv');
    writeFileSync(timeSeries, timeSeriesCsv(seconds));
  }
  return { json, csv, timeSeries };
}
