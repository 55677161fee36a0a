import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AnyRun } from '../result.ts';

/** One CSV row per measured point of a run (levels, steps, ef values...). */
export function toCsv(run: AnyRun): string {
  const rows: (string | number)[][] = [];
  const push = (header: string[], values: (string | number)[][]) => {
    rows.push(header, ...values);
  };
  switch (run.kind) {
    case 'sweep':
      push(
        [
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
        run.levels.map((l) => [
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
      );
      break;
    case 'slo':
      push(
        ['rate', 'pass', 'ok_per_s', 'p50_ms', 'p99_ms', 'error_rate', 'late', 'dropped'],
        run.steps.map((s) => [
          s.rate,
          String(s.pass),
          s.result.okPerSecond.toFixed(1),
          s.result.latency.p50Ms,
          s.result.latency.p99Ms,
          s.result.errorRate.toFixed(5),
          s.result.late,
          s.result.dropped,
        ]),
      );
      break;
    case 'rate':
    case 'mix':
      push(
        ['scenario', 'ok', 'failed', 'mean_ms', 'p50_ms', 'p95_ms', 'p99_ms', 'max_ms'],
        Object.entries(run.result.scenarios).map(([name, s]) => [
          name,
          s.ok,
          s.failed,
          s.latency.meanMs,
          s.latency.p50Ms,
          s.latency.p95Ms,
          s.latency.p99Ms,
          s.latency.maxMs,
        ]),
      );
      break;
    case 'recall':
      push(
        ['ef', 'recall', 'qps', 'p99_ms', 'concurrency'],
        run.points.map((p) => [
          p.ef,
          p.recall.toFixed(4),
          p.qps.toFixed(1),
          p.p99Ms,
          p.concurrency,
        ]),
      );
      break;
    case 'plan':
      push(
        ['key', 'value'],
        Object.entries(run.plan)
          .filter(([, v]) => typeof v === 'number')
          .map(([k, v]) => [k, v as number]),
      );
      break;
  }
  return `${rows.map((r) => r.join(',')).join('\n')}\n`;
}

/** Writes FILE.json and FILE.csv (the CSV next to the JSON). */
export function writeRun(run: AnyRun, out: string): { json: string; csv: string } {
  mkdirSync(dirname(out), { recursive: true });
  const json = out.endsWith('.json') ? out : `${out}.json`;
  const csv = json.replace(/\.json$/, '.csv');
  writeFileSync(json, `${JSON.stringify(run, null, 2)}\n`);
  writeFileSync(csv, toCsv(run));
  return { json, csv };
}
