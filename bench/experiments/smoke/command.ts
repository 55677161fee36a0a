/**
 * smoke — the first figures: time from `npm start` to the first served
 * search (cold: index built; warm: cached index loaded), then /search on the
 * embedded backend at concurrency 1/10/50 side by side with bare Hono routes,
 * so the cost of the HTTP layer is visible. Writes JSON (default
 * bench/results/smoke.json) and prints a table.
 *
 *   npm run bench -- smoke [--duration 5] [--size 10000] [--out FILE]
 */

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import {
  type Command,
  list,
  num,
  type Progress,
  str,
  type Values,
} from '../../harness/command-line.ts';
import { envelope } from '../../harness/envelope.ts';
import { searchBodies } from '../../lib/query-bodies.ts';
import { startServerProcess } from '../../lib/server-process.ts';
import type { SmokeRun } from './result.ts';

/** start-up to the first search, and /search next to bare Hono routes. */
export const smokeCommand: Command = {
  name: 'smoke',
  summary: 'start-up to the first search, and /search next to bare Hono routes',
  defaultOut: () => 'bench/results/smoke.json',
  options: {
    duration: { type: 'string', default: '5', help: 'seconds per level' },
    size: { type: 'string', default: '10000', help: 'demo collection size' },
    concurrency: { type: 'string', default: '1,10,50', help: 'clients per level' },
  },
  run: (values, progress) => runSmoke(values, progress),
};

async function runSmoke(values: Values, progress: Progress): Promise<SmokeRun> {
  const duration = num(values, 'duration');
  const size = num(values, 'size');
  const levels = list(str(values, 'concurrency'), '--concurrency');
  const DIM = 512;
  const API_PORT = 8200;
  const BARE_PORT = 8201;
  const dataDir = join('.data', `bench-smoke-${process.pid}`);

  interface Target {
    name: string;
    url: string;
    method: 'GET' | 'POST';
    bodies?: string[];
  }

  async function load(target: Target, connections: number, seconds: number) {
    let next = Math.floor(Math.random() * 1000);
    const bodies = target.bodies;
    const result = await autocannon({
      url: target.url,
      method: target.method,
      connections,
      duration: seconds,
      headers: { 'content-type': 'application/json' },
      requests: [
        {
          setupRequest: (req) => (bodies ? { ...req, body: bodies[next++ % bodies.length] } : req),
        },
      ],
    });
    return {
      qps: round(result.requests.average),
      latencyMs: {
        mean: round(result.latency.average),
        p50: result.latency.p50,
        p99: result.latency.p99,
        max: result.latency.max,
      },
      requests: result.requests.total,
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
    };
  }

  const round = (v: number) => Math.round(v * 100) / 100;

  rmSync(dataDir, { recursive: true, force: true });
  const bodies = searchBodies(1000, DIM);
  const apiEnv = {
    PORT: String(API_PORT),
    DATA_DIR: dataDir,
    DEMO_SIZE: String(size),
    LOG_LEVEL: 'warn',
  };
  const searchInit = {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: bodies[0],
  };
  const startApi = () =>
    startServerProcess({
      command: 'npm',
      args: ['start', '--silent'],
      env: apiEnv,
      url: `http://127.0.0.1:${API_PORT}`,
      readyPath: '/v1/collections/products/search',
      readyInit: searchInit,
    });

  progress('cold start (builds the demo index)...');
  const cold = await startApi();
  await cold.stop();
  progress('warm start (loads the cached index)...');
  const api = await startApi();
  const bare = await startServerProcess({
    command: process.execPath,
    args: ['--import', 'tsx', 'bench/servers/bare-hono.ts'],
    env: { PORT: String(BARE_PORT) },
    url: `http://127.0.0.1:${BARE_PORT}`,
    readyPath: '/constant',
  });

  const targets: Target[] = [
    { name: 'bare GET constant', url: `${bare.url}/constant`, method: 'GET' },
    { name: 'bare POST parse 512-d body', url: `${bare.url}/parse`, method: 'POST', bodies },
    {
      name: 'API /search (embedded, 10k x 512)',
      url: `${api.url}/v1/collections/products/search`,
      method: 'POST',
      bodies,
    },
  ];
  const rows: SmokeRun['results'] = [];
  try {
    for (const t of targets) await load(t, 10, 1); // warm-up: JIT, connections, page cache
    for (const c of levels) {
      for (const t of targets) {
        progress(`  c=${c} ${t.name} (${duration}s)`);
        rows.push({ target: t.name, concurrency: c, ...(await load(t, c, duration)) });
      }
    }
  } finally {
    await api.stop();
    await bare.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }

  return {
    ...envelope('smoke', values, null, 'start-up and the HTTP layer, embedded demo'),
    notes:
      'Server and load generator share the machine (2 cores): absolute figures are a floor. ' +
      'Compare rows of one run. autocannon latency has 1 ms resolution.',
    dataset: {
      collection: 'products',
      size,
      dimension: DIM,
      metric: 'L2',
      index: 'HNSW M=16 efConstruction=200 ef=64',
    },
    startup: {
      coldToFirstSearchMs: Math.round(cold.readyAfterMs),
      warmToFirstSearchMs: Math.round(api.readyAfterMs),
      command: 'npm start',
    },
    durationSeconds: duration,
    results: rows,
  };
}
