import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { UnavailableError } from './errors.ts';

/**
 * A lock across processes (one writer per data directory, one retiring worker
 * at a time): a file created with O_EXCL holding the owner's pid. A lock whose
 * pid is gone is stale and taken over, so a crashed owner blocks no one.
 */
export class LockFile {
  readonly path: string;
  #held = false;

  constructor(path: string) {
    this.path = path;
  }

  /** Takes the lock or returns the pid that holds it. */
  tryAcquire(): { acquired: true } | { acquired: false; holder: number } {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(this.path, 'wx');
        writeSync(fd, String(process.pid));
        closeSync(fd);
        this.#held = true;
        return { acquired: true };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const holder = readHolder(this.path);
        if (holder !== null && holder !== process.pid && isAlive(holder)) {
          return { acquired: false, holder };
        }
        rmSync(this.path, { force: true }); // stale: its owner is gone
      }
    }
    return { acquired: false, holder: readHolder(this.path) ?? -1 };
  }

  /** Waits for the lock (polling), up to `timeoutMs`. */
  async acquire(timeoutMs: number, pollMs = 100): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = this.tryAcquire();
      if (r.acquired) return;
      if (Date.now() >= deadline) {
        throw new UnavailableError(
          `data directory is locked by pid ${r.holder} (${this.path}) for over ${timeoutMs} ms`,
        );
      }
      await sleep(pollMs);
    }
  }

  release(): void {
    if (!this.#held) return;
    this.#held = false;
    rmSync(this.path, { force: true });
  }
}

function readHolder(path: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Whether a process with this pid runs (one owned by another user counts). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
