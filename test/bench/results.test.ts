import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../bench/harness/report/html.ts';
import { runTables } from '../../bench/harness/report/tables.ts';
import { toCsv } from '../../bench/harness/report/write.ts';
import type { AnyRun } from '../../bench/harness/result.ts';

const ROOT = join(import.meta.dirname, '../..');
const RESULTS = join(ROOT, 'bench/results');
const files = readdirSync(RESULTS).filter((f) => f.endsWith('.json'));

describe('committed benchmark results', () => {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(
    JSON.parse(readFileSync(join(ROOT, 'bench/harness/result.schema.json'), 'utf8')),
  );
  const runs = files.map((f) => [f, JSON.parse(readFileSync(join(RESULTS, f), 'utf8'))] as const);

  it.each(runs)('%s is one envelope of the one result schema', (_f, run) => {
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
