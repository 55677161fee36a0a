/**
 * rate-limit-store — what the cluster-wide rate limit (RATE_LIMIT_STORE=redis)
 * adds to a request, against the per-worker limiter and no limiter, in one
 * run: three servers (the compiled server, one process each, 1,000-row demo
 * collection so the search is cheap and any added cost shows), a real Redis
 * (deploy/redis/redis.sh), wrk closed loop, rounds interleaved. The limit is
 * set far above the load: every request goes through the limiter and is
 * admitted, which is the path every request pays.
 *   npm run bench -- rate-limit-store [--seconds 5] [--rounds 3] [--connections 8]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { median } from '../../../src/core/statistics.ts';
import { type Command, num, type Progress, type Values } from '../../harness/command-line.ts';
import { envelope } from '../../harness/envelope.ts';
import { runWrk } from '../../harness/runners/wrk.ts';
import { buildServer } from '../../lib/prepare.ts';
import { searchBodies } from '../../lib/query-bodies.ts';
import { redisScript } from '../../lib/redis-process.ts';
import { type ServerProcess, startServerProcess } from '../../lib/server-process.ts';
import type { RateLimitStoreRun } from './result.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const REDIS_PORT = 6392;
/** The bar (#25): a limited request's added p99 under 0.5 ms. */
export const ADDED_P99_TARGET_MS = 0.5;

export const rateLimitStoreCommand: Command = {
  name: 'rate-limit-store',
  summary: 'latency the cluster-wide (Redis) rate limit adds, against the per-worker one and none',
  thresholds: false,
  defaultOut: () => 'bench/results/rate-limit-store.json',
  options: {
    seconds: { type: 'string', default: '5', help: 'seconds per run' },
    rounds: { type: 'string', default: '3', help: 'interleaved rounds' },
    connections: { type: 'string', default: '8', help: 'wrk connections' },
  },
  run: (values, progress) => run(values, progress),
};

const redis = (action: 'up' | 'down', home: string) => redisScript(action, REDIS_PORT, home);

async function run(values: Values, progress: Progress): Promise<RateLimitStoreRun> {
  const seconds = num(values, 'seconds');
  const rounds = num(values, 'rounds');
  const connections = num(values, 'connections');
  buildServer();
  const dirs = { dir: mkdtempSync(join(tmpdir(), 'vecserve-rl-store-')) };
  await redis('up', join(dirs.dir, 'redis'));
  const configs: { name: string; env: Record<string, string> }[] = [
    { name: 'off', env: { RATE_LIMIT: '0' } },
    { name: 'local', env: { RATE_LIMIT: '1000000', RATE_LIMIT_STORE: 'local' } },
    {
      name: 'redis',
      env: {
        RATE_LIMIT: '1000000',
        RATE_LIMIT_STORE: 'redis',
        REDIS_URL: `redis://127.0.0.1:${REDIS_PORT}`,
      },
    },
  ];
  const servers: ServerProcess[] = [];
  const runs: RateLimitStoreRun['runs'] = [];
  let storeState: Record<string, unknown> | null = null;
  const bodies = searchBodies(200, 512);
  try {
    for (const [k, c] of configs.entries()) {
      const port = 8730 + k;
      servers.push(
        await startServerProcess({
          command: process.execPath,
          args: ['dist/cli/serve.js'],
          cwd: ROOT,
          env: {
            PORT: String(port),
            DATA_DIR: join(dirs.dir, c.name),
            DEMO_SIZE: '1000',
            LOG_LEVEL: 'warn',
            MAX_EVENT_LOOP_LAG: '0',
            ...c.env,
          },
          url: `http://127.0.0.1:${port}`,
          readyPath: '/readyz',
        }),
      );
    }
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? [0, 1, 2] : [2, 1, 0];
      for (const k of order) {
        const w = await runWrk({
          url: servers[k]!.url,
          path: '/v1/collections/products/search',
          bodies,
          connections,
          seconds,
        });
        runs.push({
          limiter: configs[k]!.name,
          okPerSecond: Math.round(w.okPerSecond),
          p50Ms: w.latencyMs.p50,
          p99Ms: w.latencyMs.p99,
          non2xx: w.non2xx + w.socketErrors,
        });
        progress(
          `${configs[k]!.name}: ${Math.round(w.okPerSecond)}/s, p50 ${w.latencyMs.p50} ms, p99 ${w.latencyMs.p99} ms`,
        );
      }
    }
    // The Redis server's own word that its limiter used the shared counts (not the fallback).
    const stats = (await (await fetch(`${servers[2]!.url}/v1/stats`)).json()) as {
      admission?: { rateLimit?: { store?: Record<string, unknown> } };
    };
    storeState = stats.admission?.rateLimit?.store ?? null;
    progress(`redis limiter: ${JSON.stringify(storeState)}`);
  } finally {
    for (const s of servers) await s.stop();
    await redis('down', join(dirs.dir, 'redis')).catch(() => {});
    rmSync(dirs.dir, { recursive: true, force: true });
  }
  const summary = configs.map((c) => {
    const mine = runs.filter((r) => r.limiter === c.name);
    return {
      limiter: c.name,
      okPerSecond: median(mine.map((r) => r.okPerSecond)),
      p50Ms: median(mine.map((r) => r.p50Ms)),
      p99Ms: median(mine.map((r) => r.p99Ms)),
      // Round-to-round spread: a difference smaller than this is noise on a shared machine.
      p99RangeMs: [
        Math.min(...mine.map((r) => r.p99Ms)),
        Math.max(...mine.map((r) => r.p99Ms)),
      ] as [number, number],
    };
  });
  const [off, local, shared] = summary as [
    (typeof summary)[0],
    (typeof summary)[0],
    (typeof summary)[0],
  ];
  const addedP99OverLocal = Math.round((shared.p99Ms - local.p99Ms) * 1000) / 1000;
  return {
    ...envelope('rate-limit-store', values, null, 'the Redis rate limit against local and none'),
    seconds,
    rounds,
    connections,
    runs,
    summary,
    redisLimiter: storeState,
    addedP99Ms: {
      overLocal: addedP99OverLocal,
      overNone: Math.round((shared.p99Ms - off.p99Ms) * 1000) / 1000,
    },
    goal: {
      what: `added p99 of the Redis store over the per-worker limiter < ${ADDED_P99_TARGET_MS} ms`,
      pass: addedP99OverLocal < ADDED_P99_TARGET_MS && storeState?.shared === true,
    },
  };
}
