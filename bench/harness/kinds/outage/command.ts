/**
 * outage — a dead backend under load: Milvus SIGKILLed (its whole process
 * group), then, in a second phase, stopped gracefully (`milvus.sh down`), each
 * for --down seconds, while an open loop searches the API (the compiled
 * server, BACKEND=milvus, admission as shipped). Per phase: how fast refusals
 * were (p50/p99), any 5xx other than 503 (a 500 is a bug; a 504 is a trial or
 * a request in flight when Milvus died), and how long after Milvus reported
 * ready the API served again.
 *
 * Needs the repo's Milvus (`npm run milvus:up`); this command stops and starts
 * it through deploy/milvus/milvus.sh, on its default port.
 *   npm run bench -- outage [--rate 50] [--down 20] [--size 10000] [--out FILE]
 */

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createMilvusClient } from '../../../../src/backends/milvus/milvus-pool.ts';
import { buildServer, prepareMilvusCollection } from '../../../lib/prepare.ts';
import { searchBodies } from '../../../lib/query-bodies.ts';
import { startServerProcess } from '../../../lib/server-process.ts';
import { type Command, num, type Progress, str, type Values } from '../../command-line.ts';
import { envelope } from '../../envelope.ts';
import { openLoop } from '../../runners/open-loop.ts';
import type { OutagePhase, OutageRun } from './result.ts';

const ROOT = resolve(import.meta.dirname, '../../../..');
const MILVUS_SH = join(ROOT, 'deploy/milvus/milvus.sh');
const PIDFILE = join(ROOT, '.data/milvus/standalone-19530/server.pid');
const ADDRESS = '127.0.0.1:19530';
const PORT = 8710;

/** The bar (#22): refusals fast, no 500s, served again soon after the backend is back. */
export const OUTAGE_TARGETS = { refusedP99Ms: 50, http500: 0, recoverySeconds: 2 };

export const outageCommand: Command = {
  name: 'outage',
  summary:
    'Milvus SIGKILLed and stopped under open-loop load: refusal latency, 5xx, time to serve again',
  defaultOut: () => 'bench/results/outage-milvus.json',
  options: {
    rate: { type: 'string', default: '50', help: 'searches per second, open loop' },
    down: { type: 'string', default: '20', help: 'seconds Milvus stays down per phase' },
    size: { type: 'string', default: '10000', help: 'rows of the bench collection (512-d)' },
    phases: { type: 'string', default: 'kill,stop', help: 'kill (SIGKILL) and/or stop (graceful)' },
  },
  run: (values, progress) => runOutage(values, progress),
};

/** Runs a milvus.sh command without blocking this process (the load runs here). */
function milvus(command: 'up' | 'down'): Promise<void> {
  return new Promise((done, fail) =>
    spawn('bash', [MILVUS_SH, command], { cwd: ROOT, stdio: 'ignore' }).on('exit', (code) =>
      code === 0 ? done() : fail(new Error(`milvus.sh ${command} exited ${code}`)),
    ),
  );
}

async function runOutage(values: Values, progress: Progress): Promise<OutageRun> {
  const rate = num(values, 'rate');
  const downSeconds = num(values, 'down');
  const size = str(values, 'size');
  const phases = str(values, 'phases')
    .split(',')
    .map((p) => p.trim())
    .filter((p): p is 'kill' | 'stop' => p === 'kill' || p === 'stop');
  if (phases.length === 0) throw new Error('--phases: kill and/or stop');
  const collection = 'bench_outage_512';

  progress('building the server and starting Milvus...');
  buildServer();
  await milvus('up');
  prepareMilvusCollection({ address: ADDRESS, collection, size, dimension: 512 });

  const server = await startServerProcess({
    command: process.execPath,
    args: [join(ROOT, 'dist/cli/serve.js')],
    env: {
      PORT: String(PORT),
      BACKEND: 'milvus',
      MILVUS_ADDRESS: ADDRESS,
      DEMO_COLLECTION: '',
      LOG_LEVEL: 'warn',
    },
    url: `http://127.0.0.1:${PORT}`,
    readyPath: '/readyz',
  });
  const bodies = searchBodies(500, 512);
  const path = `/v1/collections/${collection}/search`;
  const results: OutagePhase[] = [];
  try {
    for (const phase of phases) {
      progress(`${phase}: ${rate}/s, Milvus down for ${downSeconds} s...`);
      const warmSeconds = 5;
      const t0 = Date.now();
      const total = warmSeconds + downSeconds + 40; // Milvus takes ~15 s to start, then recovery
      const load = openLoop({
        url: server.url,
        stages: [{ rate, seconds: total }],
        request: (i) => ({ path, body: bodies[i % bodies.length]! }),
        sampleServer: true,
        timeoutMs: 15_000,
      });
      await sleep(warmSeconds * 1000);
      const downAt = (Date.now() - t0) / 1000;
      if (phase === 'kill') {
        process.kill(-Number(readFileSync(PIDFILE, 'utf8').trim()), 'SIGKILL');
      } else await milvus('down');
      const downDone = (Date.now() - t0) / 1000;
      await sleep(Math.max(0, downAt + downSeconds - downDone) * 1000);
      const upAt = (Date.now() - t0) / 1000;
      await milvus('up');
      const readyAt = (Date.now() - t0) / 1000;
      // When Milvus itself can search again (it loads the collection after its
      // health check passes): the API cannot serve before that.
      const searchableAt = (await firstDirectSearch(collection, bodies[0]!, t0)) ?? null;
      const r = await load;
      // Served again: the first second, from the one Milvus became ready in, in which
      // most of the rate was answered ok (the per-second series bounds the resolution).
      const from = searchableAt ?? readyAt;
      const back = r.timeSeries.find((s) => s.second >= Math.floor(from) && s.ok >= 0.5 * rate);
      const http500 = Object.entries(r.byOutcome)
        .filter(([k]) => /^5\d\d$/.test(k) && k !== '503' && k !== '504')
        .reduce((n, [, v]) => n + v, 0);
      const recoverySeconds = back ? Math.max(0, back.second - from) : null;
      results.push({
        phase,
        events: { downAt, downDone, upAt, readyAt, searchableAt },
        byOutcome: r.byOutcome,
        refused: r.refused,
        http500,
        http504: r.byOutcome['504'] ?? 0,
        recoverySeconds: recoverySeconds === null ? null : Math.round(recoverySeconds * 10) / 10,
        generator: r.generator,
        timeSeries: r.timeSeries.map((s) => ({
          second: s.second,
          ok: s.ok,
          errors: s.errors,
          p99Ms: s.p99Ms,
          cpuPercent: s.server?.cpuPercent ?? null,
          rssMb: s.server?.rssMb ?? null,
          poolBorrowed: s.server?.poolBorrowed ?? null,
        })),
        targets: {
          refusedP99: r.refused.p99Ms < OUTAGE_TARGETS.refusedP99Ms,
          no500: http500 === 0,
          recovery: recoverySeconds !== null && recoverySeconds <= OUTAGE_TARGETS.recoverySeconds,
        },
      });
      await sleep(3000);
    }
  } finally {
    await server.stop();
  }
  return {
    ...envelope('outage', values, null, `Milvus outage under ${rate}/s`),
    backend: 'milvus',
    ratePerSecond: rate,
    downSeconds,
    collection: { name: collection, rows: Number(size), dimension: 512 },
    targets: OUTAGE_TARGETS,
    notes:
      'API: compiled server, one process, admission as shipped (breaker, trial deadline, pool acquire timeout). ' +
      'Milvus standalone from PyPI on the same 2 cores. recoverySeconds counts from the first search Milvus answers directly ' +
      '(searchableAt; milvus.sh reports ready at its health check, seconds before the collection is loaded again) ' +
      'to the start of the first second with half the rate served ok by the API (1 s resolution).',
    phases: results,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Seconds since t0 of the first search Milvus answers directly (polled every 100 ms, 60 s at most). */
async function firstDirectSearch(
  collection: string,
  body: string,
  t0: number,
): Promise<number | null> {
  const client = createMilvusClient(ADDRESS, {
    separateConnection: true,
    sdkPoolMax: 1,
    timeoutMs: 1000,
  });
  const vector = (JSON.parse(body) as { vector: number[] }).vector;
  try {
    for (const until = Date.now() + 60_000; Date.now() < until; await sleep(100)) {
      const res = await client
        .search({ collection_name: collection, data: [vector], limit: 1 })
        .catch(() => null);
      if (res?.status?.error_code === 'Success') return (Date.now() - t0) / 1000;
    }
    return null;
  } finally {
    await client.closeConnection().catch(() => undefined);
  }
}
