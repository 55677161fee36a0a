import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LockFile } from '../../src/core/lock-file.ts';
import { retireWhenSafe } from '../../src/lifecycle/retire-worker.ts';
import { silentLogger, tempDir } from '../helpers.ts';

describe('retire lock (LockFile)', () => {
  it('is exclusive while its holder lives, and free once the holder has exited', () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, 'retire.lock');
      const lock = new LockFile(file);
      expect(lock.tryAcquire().acquired).toBe(true);
      expect(readFileSync(file, 'utf8')).toBe(String(process.pid));
      // A living holder (the parent of this process) keeps it.
      writeFileSync(file, String(process.ppid));
      expect(lock.tryAcquire()).toEqual({ acquired: false, holder: process.ppid });
      // An exited holder does not.
      const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], {
        encoding: 'utf8',
      });
      writeFileSync(file, gone.stdout.trim());
      expect(lock.tryAcquire().acquired).toBe(true);
      lock.release();
      expect(existsSync(file)).toBe(false);
    } finally {
      cleanup();
    }
  });
});

describe('retireWhenSafe', () => {
  it('waits while a sibling is not ready, then retires', async () => {
    const { dir, cleanup } = tempDir();
    let siblingReady = false;
    const sibling = createServer((req, res) => {
      res.statusCode = req.url === '/internal/ready' && siblingReady ? 200 : 503;
      res.end();
    });
    // A fixed port below the ephemeral range, as every test here uses: on a port
    // from that range something else answered ready once, and the test flaked.
    await new Promise<void>((r) => sibling.listen(18_461, '127.0.0.1', r));
    try {
      let retired = false;
      const done = retireWhenSafe(
        {
          logger: silentLogger,
          lockFile: join(dir, 'retire.lock'),
          siblingPorts: [(sibling.address() as AddressInfo).port],
          retryMs: 50,
        },
        () => {
          retired = true;
        },
      );
      await new Promise((r) => setTimeout(r, 300));
      expect(retired).toBe(false);
      // It does not hold the lock while it waits: it takes it only for each check (a few ms),
      // so on a busy machine one sample may land inside a check; most must not.
      let free = 0;
      for (let i = 0; i < 10; i++) {
        if (!existsSync(join(dir, 'retire.lock'))) free++;
        await new Promise((r) => setTimeout(r, 17));
      }
      expect(free).toBeGreaterThanOrEqual(5);
      siblingReady = true;
      await done;
      expect(retired).toBe(true);
    } finally {
      sibling.closeAllConnections();
      sibling.close();
      cleanup();
    }
  });
});
