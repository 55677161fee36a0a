import { LockFile } from '../core/lock-file.ts';
import type { Logger } from '../observability/logger.ts';

/**
 * Retires this worker the way Gunicorn does after `max_requests`: drain (stop
 * accepting, finish in-flight requests, close idle keep-alive sockets) and
 * exit 0; PM2's autorestart starts a fresh one, as Gunicorn's arbiter does.
 *
 * Unlike Gunicorn's fork, a Node worker takes a second or two to come back,
 * so two workers retiring together would leave no one serving (measured: both
 * of 2 workers retired within the same second and nginx answered 26k 502s).
 * So workers take turns: a worker retires only while it holds the retire lock
 * (a file created with O_EXCL; a lock whose holder has exited is free) and
 * every sibling answers ready on its internal port. Otherwise it keeps
 * serving and asks again a second later.
 *
 * (Asking PM2 to `reload` this one process instead is unsafe: PM2 has one
 * global reload lock, and a retirement overlapping a `pm2 reload` failed or,
 * as measured here, left an old worker running outside PM2's table.)
 */
export interface RetireOptions {
  logger: Logger;
  /** Lock file shared by the workers of one deployment. */
  lockFile: string;
  /** Internal ports of the other workers (empty when alone). */
  siblingPorts: number[];
  retryMs?: number;
  context?: Record<string, unknown>;
}

export async function siblingsReady(ports: number[], timeoutMs = 500): Promise<boolean> {
  const answers = await Promise.all(
    ports.map(async (port) => {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/internal/ready`, {
          signal: AbortSignal.timeout(timeoutMs),
        });
        await res.arrayBuffer();
        return res.ok;
      } catch {
        return false;
      }
    }),
  );
  return answers.every(Boolean);
}

export async function retireWhenSafe(opts: RetireOptions, drainAndExit: () => void): Promise<void> {
  const retryMs = opts.retryMs ?? 1000;
  let waited = 0;
  for (;;) {
    if (opts.siblingPorts.length === 0) break;
    const lock = new LockFile(opts.lockFile);
    if (lock.tryAcquire().acquired) {
      // Checked after taking the lock: a sibling that retired before us is
      // not counted as up until its replacement answers. Kept until we exit.
      if (await siblingsReady(opts.siblingPorts)) break;
      lock.release();
    }
    waited += retryMs;
    await new Promise((r) => setTimeout(r, retryMs));
  }
  opts.logger.info(
    { ...opts.context, waitedMs: waited },
    'max_requests reached: retiring this worker',
  );
  drainAndExit();
}
