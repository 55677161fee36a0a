import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.ts';

const WATCHDOG = join(import.meta.dirname, '../../src/lifecycle/watchdog.ts');

describe('startWatchdog', () => {
  it('kills a process whose event loop is stuck longer than the timeout, and logs why', () => {
    const { dir, cleanup } = tempDir();
    try {
      const log = join(dir, 'error.log');
      const script = `
        import { startWatchdog } from ${JSON.stringify(WATCHDOG)};
        startWatchdog({ timeoutMs: 300, logFile: ${JSON.stringify(log)}, context: { worker: 7 } });
        setTimeout(() => { const until = Date.now() + 20_000; while (Date.now() < until) {} }, 200);
      `;
      const started = Date.now();
      const child = spawnSync(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script],
        {
          encoding: 'utf8',
          timeout: 15_000,
        },
      );
      expect(child.signal).toBe('SIGKILL');
      expect(Date.now() - started).toBeLessThan(10_000);
      const line = JSON.parse(readFileSync(log, 'utf8').trim());
      expect(line).toMatchObject({ level: 'fatal', worker: 7, timeoutMs: 300 });
      expect(line.stalledMs).toBeGreaterThanOrEqual(300);
    } finally {
      cleanup();
    }
  });

  it('leaves a process with a live event loop alone', () => {
    const script = `
      import { startWatchdog } from ${JSON.stringify(WATCHDOG)};
      const w = startWatchdog({ timeoutMs: 200 });
      setTimeout(async () => { await w.stop(); console.log('alive'); }, 800);
    `;
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        encoding: 'utf8',
        timeout: 15_000,
      },
    );
    expect(child.status).toBe(0);
    expect(child.stdout.trim()).toBe('alive');
  });
});
