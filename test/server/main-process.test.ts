import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.ts';

const ROOT = join(import.meta.dirname, '../..');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Starts the real entry point (what `npm start` runs) and collects its output. */
function startMain(env: Record<string, string>, cwd = ROOT) {
  // Absolute paths: the process may run in another working directory (.env is read from there).
  const child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'src/cli/serve.ts')], {
    cwd,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const printed = async (pattern: RegExp, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(out)) {
      if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${err}`);
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${pattern}; stdout: ${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return pattern.exec(out)!;
  };
  return { child, printed, exited, output: () => ({ out, err }) };
}

describe('the server process (npm start)', () => {
  const { dir, cleanup } = tempDir();
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
    cleanup();
  });

  it('reads a .env file in its working directory; variables already set win', async () => {
    const work = tempDir();
    try {
      writeFileSync(
        join(work.dir, '.env'),
        `# settings for this directory\nDEMO_COLLECTION=from_dotenv\nDEMO_SIZE=300\nDATA_DIR=${join(work.dir, 'data')}\n`,
      );
      const run = startMain({ DEMO_SIZE: '200' }, work.dir);
      children.push(run.child);
      const [line] = await run.printed(/serving (\d+) vectors of "(\w+)"/);
      expect(line).toBe('serving 200 vectors of "from_dotenv"');
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
    } finally {
      work.cleanup();
    }
  }, 90_000);

  it('a DATA_DIR that cannot be created stops the start with the reason, exit 1 (it used to spin forever under /proc)', async () => {
    const run = startMain({ DATA_DIR: '/proc/vecserve-not-a-place' });
    children.push(run.child);
    expect(await run.exited).toBe(1);
    expect(run.output().err).toMatch(
      /vecserve failed to start: ENOENT.*mkdir '\/proc\/vecserve-not-a-place'/,
    );
  }, 60_000);

  it('builds the demo collection, prints a curl that returns 10 hits, and exits 0 on SIGTERM', async () => {
    const env = { DATA_DIR: dir, DEMO_SIZE: '2000' };
    const first = startMain(env);
    children.push(first.child);
    const [line] = await first.printed(/curl -s \S+ .*\n/);
    const result = JSON.parse(execFileSync('bash', ['-c', line], { encoding: 'utf8' }));
    expect(result.hits).toHaveLength(10);
    // A query like the demo's vectors: distances of a real search, not of the vector 1..512.
    expect(result.hits[0].distance).toBeLessThan(5);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    // Second start: the cached index is loaded, not rebuilt.
    const t0 = performance.now();
    const second = startMain(env);
    children.push(second.child);
    const [again] = await second.printed(/curl -s \S+ .*\n/);
    const warmMs = performance.now() - t0;
    expect(JSON.parse(execFileSync('bash', ['-c', again], { encoding: 'utf8' })).hits).toHaveLength(
      10,
    );
    expect(warmMs).toBeLessThan(15_000); // generous: CI machines are shared; see bench for figures
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  });

  it('starts again after half of the demo rows were deleted and the server was stopped (SIGTERM)', async () => {
    const { dir: data, cleanup: clean } = tempDir();
    try {
      const env = { DATA_DIR: data, DEMO_SIZE: '2000' };
      const first = startMain(env);
      children.push(first.child);
      const [, base] = await first.printed(/curl -s (http:\/\/[^/\s]+)\S* .*\n/);
      const ids = Array.from({ length: 1000 }, (_, i) => `item-${i}`);
      const res = await fetch(`${base}/v1/collections/products/vectors`, {
        method: 'DELETE',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ids }),
      });
      expect(await res.json()).toMatchObject({ deleted: 1000 });
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);

      const second = startMain(env);
      children.push(second.child);
      const [, again] = await second.printed(/curl -s (http:\/\/[^/\s]+)\S* .*\n/);
      const info = (await (await fetch(`${again}/v1/collections/products`)).json()) as {
        count: number;
      };
      expect(info.count).toBe(1000);
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    } finally {
      clean();
    }
  });

  it('refuses a bad setting at start-up with exit code 2 and a message naming it', async () => {
    const bad = startMain({ DATA_DIR: dir, WORKER_CONNECTIONS: 'lots' });
    children.push(bad.child);
    expect(await bad.exited).toBe(2);
    expect(bad.output().err).toContain(
      'Invalid setting WORKER_CONNECTIONS (from the environment): expected an integer from 1 to 1000000, got "lots"',
    );
  });
});
