/**
 * The floor command for real: the floor server, vecserve as one process and as
 * a PM2 cluster, and FastAPI (its pinned venv installed on first use) on one
 * snapshot under wrk; the result checked against the schema, every server's
 * answers against the floor's, and the targets judged from the figures.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../bench/harness/cli.ts';
import { parseVariant } from '../../bench/harness/kinds/floor/command.ts';
import { tempDir } from '../helpers.ts';

const ROOT = join(import.meta.dirname, '../..');
const schema = JSON.parse(readFileSync(join(ROOT, 'bench/harness/result.schema.json'), 'utf8'));
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
const work = tempDir('vecserve-floor-');

describe('bench floor', () => {
  afterAll(() => work.cleanup());

  it('--variant: NAME:ENV=VALUE,... of settings the server takes, or a usage error that says which', () => {
    expect(parseVariant('lag5:MAX_EVENT_LOOP_LAG=0.005,WORKERS=2')).toEqual({
      name: 'lag5',
      kind: 'vecserve',
      workers: 2,
      threads: null,
      nice: null,
      env: { MAX_EVENT_LOOP_LAG: '0.005', WORKERS: '2' },
    });
    expect(() => parseVariant('x:SERCH_THREADS=0')).toThrow(
      /--variant x:SERCH_THREADS=0: "SERCH_THREADS=0" is not ENV=VALUE of a setting/,
    );
    expect(() => parseVariant('x')).toThrow(/name at least one setting/);
    expect(() => parseVariant('a b:WORKERS=2')).toThrow(/NAME:ENV=VALUE/);
    expect(() => parseVariant('x:WORKERS=0')).toThrow(/--variant x:WORKERS=0: .*WORKERS/);
  });

  it('measures vecserve beside its floor and FastAPI on the same answers, and judges the targets', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    vi.spyOn(console, 'table').mockImplementation(() => {});
    const out = join(work.dir, 'floor.json');
    const code = await main([
      'floor',
      '--configs',
      'vecserve-1p-t0,vecserve-2w-t0,fastapi-1w',
      '--variant',
      't0-no-guard:SEARCH_THREADS=0,MAX_EVENT_LOOP_LAG=0',
      '--rounds',
      '1',
      '--seconds',
      '2',
      '--warmup',
      '1',
      '--c1-seconds',
      '1',
      '--connections',
      '20',
      '--work-dir',
      join(work.dir, 'work'),
      '--port',
      String(29_900 + Math.floor(Math.random() * 90)),
      '--out',
      out,
      '--quiet',
    ]);
    vi.restoreAllMocks();
    expect(code).toBe(0);
    const run = JSON.parse(readFileSync(out, 'utf8'));
    expect(validate(run), JSON.stringify(validate.errors)).toBe(true);
    // The floor is always measured: every figure is judged against it.
    expect(run.summary.map((s: { config: string }) => s.config)).toEqual([
      'floor',
      'vecserve-1p-t0',
      'vecserve-2w-t0',
      'fastapi-1w',
      't0-no-guard',
    ]);
    // A variant is vecserve with its own settings, in the same rounds, judged against the floor.
    const variant = run.summary.find((s: { config: string }) => s.config === 't0-no-guard');
    expect(variant.describe).toBe('vecserve, 1 process, SEARCH_THREADS=0 MAX_EVENT_LOOP_LAG=0');
    expect(variant.okOverFloor).toBeGreaterThan(0);
    for (const s of run.summary) {
      expect(s.sameAnswersAsFloor, s.config).toBe(true);
      expect(s.okPerSecond, s.config).toBeGreaterThan(50);
      expect(s.cpuMsPerRequest, s.config).toBeGreaterThan(0.05);
    }
    // PM2's daemon and its two workers are all counted.
    const cluster = run.rows.find((r: { config: string }) => r.config === 'vecserve-2w-t0');
    expect(cluster.processes).toBe(3);
    expect(run.latencyAtC1.map((r: { config: string }) => r.config)).toEqual([
      'floor',
      't0-no-guard',
    ]);
    expect(run.targets.map((t: { target: string }) => t.target)).toEqual([
      'CPU per request of vecserve (1 process, search on the event loop) <= 1.25x the floor',
    ]);
    expect(run.targets[0].measured).toMatch(/^\d+(\.\d+)?x \(/);
  }, 300_000);
});
