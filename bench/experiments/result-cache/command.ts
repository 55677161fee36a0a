/**
 * result-cache — the result cache under skewed and uniform traffic, in one run:
 * the compiled server (one process, the 10k x 512 demo collection) with
 * RESULT_CACHE off, local, and shared (local + a real Redis), each driven by
 * autocannon (closed loop) with queries drawn Zipf (s 1.1 over 100,000
 * distinct) and with no repeats at all (every query new: what the cache costs
 * when it never helps). Each run is preceded by a warm-up of the same
 * workload that is not measured (a cache is judged warm, as any server is).
 * Rounds interleave the configurations. Reports req/s, p99, hit ratio (from
 * /metrics), and the generator's own CPU.
 *   npm run bench -- result-cache [--seconds 8] [--warmup 4] [--rounds 2] [--connections 32]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { median } from '../../../src/core/statistics.ts';
import { type Command, num, type Progress, type Values } from '../../harness/command-line.ts';
import { envelope } from '../../harness/envelope.ts';
import { processCpuSeconds } from '../../harness/runners/process-cpu.ts';
import { buildServer } from '../../lib/prepare.ts';
import { mixBodies, parseQueryMix, queryBody } from '../../lib/query-mix.ts';
import { redisScript } from '../../lib/redis-process.ts';
import { type ServerProcess, startServerProcess } from '../../lib/server-process.ts';
import type { ResultCacheRun } from './result.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const REDIS_PORT = 6394;
const PORT = 8740;

export const resultCacheCommand: Command = {
  name: 'result-cache',
  summary: 'the result cache off / per worker / per worker + Redis, Zipf and uniform queries',
  thresholds: false,
  defaultOut: () => 'bench/results/result-cache.json',
  options: {
    seconds: { type: 'string', default: '8', help: 'seconds per run' },
    warmup: {
      type: 'string',
      default: '4',
      help: 'seconds of the same workload before each run, not measured',
    },
    rounds: { type: 'string', default: '2', help: 'interleaved rounds' },
    connections: { type: 'string', default: '64', help: 'autocannon connections' },
  },
  run: (values, progress) => run(values, progress),
};

const redis = (action: 'up' | 'down', home: string) => redisScript(action, REDIS_PORT, home);

/** Hits and misses so far, from the server's /v1/stats (both tiers' hits together). */
async function cacheCounts(url: string): Promise<{ hits: number; misses: number }> {
  const { resultCache: c } = (await (await fetch(`${url}/v1/stats`)).json()) as {
    resultCache: { hits: number; sharedHits: number; misses: number };
  };
  return { hits: c.hits + c.sharedHits, misses: c.misses };
}

async function run(values: Values, progress: Progress): Promise<ResultCacheRun> {
  const seconds = num(values, 'seconds');
  const warmup = num(values, 'warmup');
  const rounds = num(values, 'rounds');
  const connections = num(values, 'connections');
  buildServer();
  const dir = mkdtempSync(join(tmpdir(), 'vecserve-result-cache-'));
  await redis('up', join(dir, 'redis'));
  const configs: { name: string; env: Record<string, string> }[] = [
    { name: 'off', env: { RESULT_CACHE: 'off' } },
    { name: 'local', env: { RESULT_CACHE: 'local' } },
    {
      name: 'local + Redis',
      env: { RESULT_CACHE: 'shared', REDIS_URL: `redis://127.0.0.1:${REDIS_PORT}` },
    },
  ];
  const workloads = ['zipf:1.1:100000', 'repeat:0'];
  const described = workloads.map((w) => parseQueryMix(w).describe);
  const runs: ResultCacheRun['runs'] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? configs : [...configs].reverse();
      for (const c of order) {
        // A fresh process per run, so each starts with an empty cache; for the shared tier a
        // fresh Redis too (it keeps nothing on disk), or a later round would start warm.
        let server: ServerProcess | null = null;
        try {
          if (c.env.RESULT_CACHE === 'shared') {
            await redis('down', join(dir, 'redis'));
            await redis('up', join(dir, 'redis'));
          }
          server = await startServerProcess({
            command: process.execPath,
            args: ['dist/cli/serve.js'],
            cwd: ROOT,
            env: {
              PORT: String(PORT),
              DATA_DIR: join(dir, 'data'),
              LOG_LEVEL: 'warn',
              MAX_EVENT_LOOP_LAG: '0',
              ...c.env,
            },
            url: `http://127.0.0.1:${PORT}`,
            readyPath: '/readyz',
            timeoutMs: 300_000,
          });
          for (const w of workloads) {
            const mix = parseQueryMix(w, 1000 + r);
            const nextBody = mixBodies(mix, (rank) => queryBody(rank, 512));
            const load = (duration: number) =>
              autocannon({
                url: `${server!.url}/v1/collections/products/search`,
                method: 'POST',
                connections,
                duration,
                headers: { 'content-type': 'application/json' },
                requests: [{ setupRequest: (req) => ({ ...req, body: nextBody() }) }],
              });
            if (warmup > 0) await load(warmup);
            const before = c.name === 'off' ? null : await cacheCounts(server.url);
            const pid = server.child.pid!;
            const serverCpu0 = processCpuSeconds(pid);
            const cpu0 = process.cpuUsage();
            const t0 = performance.now();
            const res = await load(seconds);
            const cpu = process.cpuUsage(cpu0);
            const serverCpu1 = processCpuSeconds(pid);
            const wall = (performance.now() - t0) / 1000;
            // This workload's own hit ratio: the counters' growth over the run.
            const after = before ? await cacheCounts(server.url) : null;
            const hits = after && before ? after.hits - before.hits : 0;
            const misses = after && before ? after.misses - before.misses : 0;
            const ratio = after && hits + misses > 0 ? hits / (hits + misses) : null;
            const row = {
              cache: c.name,
              workload: mix.describe,
              okPerSecond: Math.round(res['2xx'] / Math.max(res.duration, 0.001)),
              p99Ms: res.latency.p99,
              non2xx: res.non2xx + res.errors,
              hitRatio: ratio === null ? null : Math.round(ratio * 1000) / 1000,
              generatorCpuPercent: Math.round(((cpu.user + cpu.system) / 1e6 / wall) * 100),
              // What a served request cost the server, whatever limited the throughput.
              serverCpuMsPerOk:
                serverCpu0 === null || serverCpu1 === null || res['2xx'] === 0
                  ? null
                  : Math.round(((serverCpu1 - serverCpu0) * 1e6) / res['2xx']) / 1000,
            };
            runs.push(row);
            progress(
              `${c.name}, ${mix.describe}: ${row.okPerSecond}/s, p99 ${row.p99Ms} ms, hits ${row.hitRatio ?? '-'}, server ${row.serverCpuMsPerOk ?? '-'} ms CPU per ok, generator ${row.generatorCpuPercent}%`,
            );
          }
        } finally {
          await server?.stop();
        }
      }
    }
  } finally {
    await redis('down', join(dir, 'redis')).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
  const summary = configs.flatMap((c) =>
    described.map((w) => {
      const mine = runs.filter((r) => r.cache === c.name && r.workload === w);
      return {
        cache: c.name,
        workload: w,
        okPerSecond: median(mine.map((r) => r.okPerSecond)),
        p99Ms: median(mine.map((r) => r.p99Ms)),
        hitRatio: c.name === 'off' ? null : median(mine.map((r) => r.hitRatio ?? 0)),
        generatorCpuPercent: median(mine.map((r) => r.generatorCpuPercent)),
        serverCpuMsPerOk: median(mine.map((r) => r.serverCpuMsPerOk ?? Number.NaN)),
      };
    }),
  );
  const at = (cache: string, w: string) =>
    summary.find((s) => s.cache === cache && s.workload.startsWith(w))!;
  const zipfGain = at('local', 'zipf').okPerSecond / at('off', 'zipf').okPerSecond;
  const sharedGain = at('local + Redis', 'zipf').okPerSecond / at('off', 'zipf').okPerSecond;
  const cpuGain = at('off', 'zipf').serverCpuMsPerOk / at('local', 'zipf').serverCpuMsPerOk;
  const uniformCost = at('local', described[1]!).okPerSecond / at('off', described[1]!).okPerSecond;
  return {
    ...envelope('result-cache', values, null, 'the result cache, Zipf and uniform queries'),
    seconds,
    warmupSeconds: warmup,
    rounds,
    connections,
    runs,
    summary,
    ratios: {
      zipfLocalOverOff: Math.round(zipfGain * 100) / 100,
      zipfSharedOverOff: Math.round(sharedGain * 100) / 100,
      zipfCpuPerOkOffOverLocal: Math.round(cpuGain * 100) / 100,
      noRepeatsLocalOverOff: Math.round(uniformCost * 1000) / 1000,
    },
    goals: [
      { what: 'Zipf 1.1 over 100k: local cache >= 3x the uncached req/s', pass: zipfGain >= 3 },
      {
        what: 'no repeats: cache on no more than 5% slower than off',
        pass: uniformCost >= 0.95,
      },
    ],
  };
}
