import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { progressLine } from '../../src/cli/progress.ts';
import { tempDir } from '../helpers.ts';

const { dir, cleanup } = tempDir();
afterAll(cleanup);

function prepare(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/prepare-data.ts', ...args], {
    env: { ...process.env, DATA_DIR: dir, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('prepare-data', () => {
  it('draws a progress bar with rate and ETA', () => {
    expect(progressLine(250, 1000, 1000, 10)).toBe(
      '[###.......] 25.0% 250/1000 250 rows/s ETA 0m03s',
    );
  });

  it('creates, tops up, describes and drops a collection on the embedded backend', () => {
    const created = prepare([
      'create',
      '--collection',
      'cli',
      '--size',
      '1500',
      '--dimension',
      '32',
      '--batch',
      '500',
    ]);
    expect(created.code, created.err).toBe(0);
    expect(created.out).toContain('cli: 1500 rows');
    expect(
      prepare(['create', '--collection', 'cli', '--size', '1500', '--dimension', '32']).out,
    ).toContain('nothing to do');
    expect(
      prepare(['create', '--collection', 'cli', '--size', '2000', '--dimension', '32']).out,
    ).toContain('cli: 2000 rows');
    expect(JSON.parse(prepare(['describe', '--collection', 'cli']).out)).toMatchObject({
      count: 2000,
      dimension: 32,
    });
    expect(prepare(['drop', '--collection', 'cli']).out).toContain('dropped cli');
    expect(prepare(['drop', '--collection', 'cli']).out).toContain('nothing to drop');
  });

  it.each([
    [['create'], /--collection is required/],
    [
      ['explode', '--collection', 'x'],
      /expected one command: create, describe or drop, got "explode"/,
    ],
    [['create', '--collection', 'x', '--size=-5'], /--size must be an integer from 1/],
    [
      ['create', '--collection', 'x', '--metric', 'manhattan'],
      /--metric must be one of L2, IP, COSINE/,
    ],
    [['create', '--collection', 'x', '--sise', '5'], /Unknown option '--sise'/],
    [['create', '--collection', '1bad'], /collection name "1bad" is invalid/],
  ])('refuses %j with exit code 2 and a clear message', (args, message) => {
    const r = prepare(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).toContain('usage: npm run prepare-data');
  });
});
