import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * deploy/redis/redis.sh up|down for a bench's own Redis (its port, its home),
 * without blocking this process: the bench generates load from it.
 */
export function redisScript(action: 'up' | 'down', port: number, home: string): Promise<void> {
  return new Promise((done, fail) =>
    execFile(
      'bash',
      [join(ROOT, 'deploy/redis/redis.sh'), action],
      { cwd: ROOT, env: { ...process.env, REDIS_PORT: String(port), REDIS_HOME: home } },
      (err) => (err ? fail(err) : done()),
    ),
  );
}
