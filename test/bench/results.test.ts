import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../bench/harness/report/html.ts';
import { runTables } from '../../bench/harness/report/tables.ts';
import { toCsv } from '../../bench/harness/report/write.ts';
import {
  type AnyRun,
  parseRun,
  RESULT_KINDS,
  resultJsonSchema,
} from '../../bench/harness/result.ts';

const ROOT = join(import.meta.dirname, '../..');
const RESULTS = join(ROOT, 'bench/results');
const files = readdirSync(RESULTS).filter((f) => f.endsWith('.json'));
const SCHEMA_FILE = join(ROOT, 'bench/harness/result.schema.json');

describe('result kinds', () => {
  it('live one folder each, named as the kind, and every folder is registered', () => {
    const folders = (dir: string) =>
      readdirSync(join(ROOT, dir), { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
    const onDisk = [...folders('bench/harness/kinds'), ...folders('bench/experiments')].sort();
    expect(RESULT_KINDS.map((k) => k.kind).sort()).toEqual(onDisk);
    for (const name of onDisk) {
      const dir = folders('bench/harness/kinds').includes(name)
        ? `bench/harness/kinds/${name}`
        : `bench/experiments/${name}`;
      expect(readdirSync(join(ROOT, dir)).sort(), dir).toEqual([
        'command.ts',
        'report.ts',
        'result.ts',
      ]);
    }
  });

  it('result.schema.json is the schema the kinds generate (npm run bench:schema -- --write)', () => {
    expect(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'))).toEqual(resultJsonSchema());
  });

  it('a result missing a figure of its kind is refused, naming the figure', () => {
    const [, sweep] = files
      .map((f) => [f, JSON.parse(readFileSync(join(RESULTS, f), 'utf8'))] as const)
      .find(([, r]) => r.kind === 'sweep')!;
    const broken = structuredClone(sweep);
    delete broken.levels[0].latency.p99Ms;
    const parsed = parseRun(broken);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.error).toContain('levels[0].latency.p99Ms');
    const unknown = parseRun({ ...sweep, kind: 'sweeep' });
    expect(unknown.ok ? '' : unknown.error).toMatch(/unknown kind "sweeep"; one of: sweep, rate/);
    expect(parseRun(sweep).ok).toBe(true);
  });
});

describe('committed benchmark results', () => {
  // zod's own date-time pattern is in the schema; ajv needs no format plugin for it.
  const ajv = new Ajv({ allErrors: true, strict: false, formats: { 'date-time': true } });
  const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')));
  const runs = files.map((f) => [f, JSON.parse(readFileSync(join(RESULTS, f), 'utf8'))] as const);

  it.each(runs)('%s is one envelope of the one result schema', (_f, run) => {
    const parsed = parseRun(run);
    expect(parsed.ok ? '' : parsed.error).toBe('');
    expect(validate(run), JSON.stringify(validate.errors)).toBe(true);
  });

  it('every kind renders in the one report: terminal tables, a CSV and the HTML page', () => {
    const all = runs.map(([, r]) => r as AnyRun);
    for (const run of all) {
      const csv = toCsv(run);
      expect(csv.split('\n').length, `${run.label}: CSV rows`).toBeGreaterThan(1);
      if (!['sweep', 'rate', 'slo', 'mix', 'recall', 'plan', 'users'].includes(run.kind))
        expect(runTables(run).length, `${run.kind}: tables`).toBeGreaterThan(0);
    }
    const html = renderHtml(all);
    const esc = (s: string) =>
      s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
    for (const run of all) expect(html).toContain(esc(run.label));
    expect(html).toContain('Runs compared');
  });
});
