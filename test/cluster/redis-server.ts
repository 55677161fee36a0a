import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers.ts';

const ROOT = join(import.meta.dirname, '../..');

/** A real redis-server on its own port, started and stopped by the repo's script (deploy/redis). */
export function redisForTest() {
  const port = 16_400 + Math.floor(Math.random() * 1000);
  const home = tempDir('vecserve-redis-');
  const env = { ...process.env, REDIS_PORT: String(port), REDIS_HOME: home.dir };
  const script = (action: 'up' | 'down') =>
    execFileSync('bash', ['deploy/redis/redis.sh', action], { cwd: ROOT, env, encoding: 'utf8' });
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    up: () => script('up'),
    down: () => script('down'),
    /** Kills the server as a crash would (no shutdown), by the pid the script wrote. */
    kill: () => {
      const pid = Number(readFileSync(join(home.dir, String(port), 'redis.pid'), 'utf8'));
      process.kill(pid, 'SIGKILL');
    },
    cleanup: () => {
      try {
        script('down');
      } finally {
        home.cleanup();
      }
    },
  };
}
