/**
 * milvus-pool — how to talk to Milvus from Node, measured side by side in one run
 * against the same server and data (a running Milvus; `npm run milvus:up`):
 *
 *   sdk-default         one MilvusClient, SDK defaults (inner pool min 2 / max 10)
 *   sdk-one-client-N    one MilvusClient whose inner pool allows N RPCs (one HTTP/2 connection)
 *   pool-shared-conn    our MilvusPool: N clients, inner pool 1, grpc-js shares one connection
 *   pool-separate-conn  our MilvusPool: N clients, each on its own HTTP/2 connection
 *   api                 the HTTP API end to end (BACKEND=milvus, chosen pool, BATCH=off), via autocannon
 *   api-batched         the same with micro-batching (BATCH=on)
 *   api-batched-base64  the same with queries as vectorBase64
 *   api-batched-grpc-js the same as api-batched, searches on the SDK's grpc-js channels
 *                       (MILVUS_SEARCH_TRANSPORT=grpc-js); the three above search on our own
 *                       HTTP/2 connections (http2, the shipped default)
 *   milvus-rest         Milvus's own REST API (POST /v1/vector/search on its gRPC port)
 *   pymilvus            the scenario's own test: pymilvus Collection.search from c threads
 *                       (bench/servers/python/pymilvus_loop.py, the pinned pymilvus)
 *   floor               the least a Node HTTP server can do for the same search
 *                       (bench/servers/milvus-floor-server.mjs: node:http, JSON, vecserve's
 *                       encoder and HTTP/2 transport, nothing else), alternating with the API
 *                       variants: what any Node hop costs against pymilvus, and what the
 *                       API's layers add to it
 *
 * Closed loop: `c` callers each send the next search as soon as the last one returns.
 *   npm run bench -- milvus-pool [--address 127.0.0.1:19530] [--size 20000] [--duration 4]
 *                                [--concurrency 1,10,50,100] [--pool 16] [--out FILE]
 */

import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { MilvusClient as SdkClient } from '@zilliz/milvus2-sdk-node';
import autocannon from 'autocannon';
import { createMilvusClient, MilvusPool } from '../../../src/backends/milvus/milvus-pool.ts';
import { median, percentileOrNull, round } from '../../../src/core/statistics.ts';
import {
  type Command,
  list,
  num,
  type Progress,
  str,
  type Values,
} from '../../harness/command-line.ts';
import { envelope } from '../../harness/envelope.ts';
import { processCpuSeconds } from '../../harness/runners/process-cpu.ts';
import { buildServer, prepareMilvusCollection } from '../../lib/prepare.ts';
import { heldOutVectors } from '../../lib/query-bodies.ts';
import { startServerProcess } from '../../lib/server-process.ts';
import type { MilvusPoolRun } from './result.ts';

/** Milvus from Node. */
export const milvusPoolCommand: Command = {
  name: 'milvus-pool',
  summary:
    'Milvus from Node: SDK variants, our pool, the API (plain, batched, base64) and Milvus REST, side by side',
  defaultOut: () => 'bench/results/milvus-pool.json',
  options: {
    address: {
      type: 'string',
      default: '127.0.0.1:19530',
      help: 'a running Milvus (npm run milvus:up)',
    },
    size: { type: 'string', default: '20000', help: 'rows of the bench collection' },
    dimension: { type: 'string', default: '512', help: 'their dimension' },
    duration: { type: 'string', default: '4', help: 'seconds per level' },
    concurrency: { type: 'string', default: '1,10,50,100', help: 'callers per level' },
    pool: { type: 'string', default: '16', help: 'clients in the pools' },
    rounds: {
      type: 'string',
      default: '1',
      help: 'rounds of the API variants, alternating (each row says its round; ratios use the median)',
    },
  },
  run: (values, progress) => runMilvusPool(values, progress),
};

async function runMilvusPool(values: Values, progress: Progress): Promise<MilvusPoolRun> {
  const address = str(values, 'address');
  const size = str(values, 'size');
  const DIM = num(values, 'dimension');
  const N = num(values, 'pool');
  const seconds = num(values, 'duration');
  const levels = list(str(values, 'concurrency'), '--concurrency');
  const rounds = num(values, 'rounds');
  const collection = `bench_pool_${DIM}`;
  const queries = heldOutVectors(500, DIM).map((v) => Array.from(v));

  type Search = (vector: number[]) => Promise<void>;

  function searchWith(client: MilvusClient): Search {
    return async (vector) => {
      const r = await client.search({
        collection_name: collection,
        data: [vector],
        limit: 10,
        metric_type: 'L2',
        params: { ef: 64 },
        output_fields: ['id'],
      });
      if (r.status.error_code !== 'Success') throw new Error(r.status.reason);
    };
  }

  /** `c` callers in a closed loop for `seconds`; latencies in ms. */
  async function closedLoop(search: Search, c: number) {
    const latencies: number[] = [];
    let errors = 0;
    let next = Math.floor(Math.random() * queries.length);
    const end = performance.now() + seconds * 1000;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: c }, async () => {
        while (performance.now() < end) {
          const t = performance.now();
          try {
            await search(queries[next++ % queries.length]!);
            latencies.push(performance.now() - t);
          } catch {
            errors++;
          }
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const mean = latencies.reduce((s, v) => s + v, 0) / Math.max(1, latencies.length);
    return {
      qps: round(latencies.length / elapsed),
      meanMs: round(mean),
      p50Ms: round(percentileOrNull(latencies, 0.5) ?? 0),
      p99Ms: round(percentileOrNull(latencies, 0.99) ?? 0),
      errors,
    };
  }

  /** Closed loop over HTTP with autocannon at every level, after a 1 s warm-up; one row per level. */
  async function httpLevels(
    variant: string,
    url: string,
    bodies: string[],
    server?: { pid: number; round: number },
  ) {
    let i = 0;
    const run = (connections: number, duration: number) =>
      autocannon({
        url,
        method: 'POST',
        connections,
        duration,
        headers: { 'content-type': 'application/json' },
        requests: [{ setupRequest: (req) => ({ ...req, body: bodies[i++ % bodies.length] }) }],
      });
    await run(4, 1);
    const out = [];
    // The API says why it refused (admission's counters in /metrics); REST does not.
    const metricsUrl = variant.startsWith('api') ? `${new URL(url).origin}/metrics` : null;
    for (const c of levels) {
      progress(`  ${variant} c=${c}`);
      const before = metricsUrl ? await refusalsByReason(metricsUrl) : null;
      const cpuBefore = server ? processCpuSeconds(server.pid) : null;
      const r = await run(c, seconds);
      const cpuAfter = server ? processCpuSeconds(server.pid) : null;
      const errors = r.errors + r.non2xx;
      const row: MilvusPoolRun['results'][number] = {
        variant,
        concurrency: c,
        qps: round(r.requests.average),
        meanMs: round(r.latency.average),
        p50Ms: r.latency.p50,
        p99Ms: r.latency.p99,
        errors,
      };
      if (server) {
        row.round = server.round;
        // The API process's CPU over the level (its threads included), per request answered.
        row.serverCpuMsPerRequest =
          cpuBefore !== null && cpuAfter !== null && r.requests.total > 0
            ? round(((cpuAfter - cpuBefore) * 1000) / r.requests.total)
            : null;
      }
      if (metricsUrl && before && errors > 0) {
        const after = await refusalsByReason(metricsUrl);
        const refused: Record<string, number> = {};
        let counted = 0;
        for (const [reason, n] of Object.entries(after)) {
          const d = n - (before[reason] ?? 0);
          if (d > 0) {
            refused[reason] = d;
            counted += d;
          }
        }
        if (errors > counted) refused.other = errors - counted;
        row.errorsBy = refused;
      }
      out.push(row);
    }
    return out;
  }

  progress(`preparing ${collection} (${size} x ${DIM}) on ${address}...`);
  prepareMilvusCollection({ address, collection, size, dimension: DIM, verbose: true });

  const variants: {
    name: string;
    open: () => Promise<{ search: Search; close: () => Promise<void> }>;
  }[] = [
    {
      name: 'sdk-default',
      open: async () => {
        const client = new SdkClient({
          address,
          channelOptions: { 'grpc.keepalive_time_ms': 300_000 },
        });
        return {
          search: searchWith(client),
          close: () => client.closeConnection().then(() => undefined),
        };
      },
    },
    {
      name: `sdk-one-client-${N}`,
      open: async () => {
        const client = createMilvusClient(address, {
          separateConnection: false,
          sdkPoolMax: N,
          timeoutMs: 10_000,
        });
        return {
          search: searchWith(client),
          close: () => client.closeConnection().then(() => undefined),
        };
      },
    },
    ...[false, true].map((separate) => ({
      name: separate ? 'pool-separate-conn' : 'pool-shared-conn',
      open: async () => {
        const pool = new MilvusPool({
          address,
          min: N,
          max: N,
          separateConnections: separate,
          maxWaiting: 10_000,
          acquireTimeoutMs: 10_000,
        });
        return {
          search: (v: number[]) => pool.use((c) => searchWith(c)(v)),
          close: () => pool.drain(),
        };
      },
    })),
  ];

  const rows: MilvusPoolRun['results'] = [];
  for (const variant of variants) {
    const { search, close } = await variant.open();
    await closedLoop(search, 4); // warm-up: connections, JIT
    for (const c of levels) {
      progress(`  ${variant.name} c=${c}`);
      rows.push({ variant: variant.name, concurrency: c, ...(await closedLoop(search, c)) });
    }
    await close();
  }

  // pymilvus from threads: what a Python team measures when it skips the API.
  rows.push(...(await pymilvusLevels(address, collection, queries, seconds, levels, progress)));

  // The API end to end, without and with micro-batching, and with the compact encoding,
  // compiled as `npm start` and PM2 run it.
  buildServer();
  const vectors = heldOutVectors(500, DIM);
  const jsonBodies = vectors.map((v) => JSON.stringify({ vector: Array.from(v), topK: 10 }));
  const b64Bodies = vectors.map((v) =>
    JSON.stringify({
      vectorBase64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64'),
      topK: 10,
    }),
  );
  const apiVariants: {
    variant: string;
    env: Record<string, string>;
    bodies: string[];
    /** The floor server instead of the API. */
    floor?: true;
  }[] = [
    { variant: 'floor', env: {}, bodies: jsonBodies, floor: true },
    { variant: 'api', env: { BATCH: 'off', MILVUS_SEARCH_TRANSPORT: 'http2' }, bodies: jsonBodies },
    {
      variant: 'api-batched',
      env: { BATCH: 'on', MILVUS_SEARCH_TRANSPORT: 'http2' },
      bodies: jsonBodies,
    },
    {
      variant: 'api-batched-base64',
      env: { BATCH: 'on', MILVUS_SEARCH_TRANSPORT: 'http2' },
      bodies: b64Bodies,
    },
    // Searches on the SDK's grpc-js channels (the default until 2026-12-07): beside
    // api-batched (the shipped default), what the transport alone changes.
    {
      variant: 'api-batched-grpc-js',
      env: { BATCH: 'on', MILVUS_SEARCH_TRANSPORT: 'grpc-js' },
      bodies: jsonBodies,
    },
  ];
  // With --rounds, the variants alternate round by round, so drift on a shared machine hits each.
  const runs = Array.from({ length: rounds }, (_, r) =>
    apiVariants.map((v) => ({ ...v, round: r + 1 })),
  ).flat();
  for (const v of runs) {
    progress(`  ${v.variant} (round ${v.round}): starting the server (BACKEND=milvus)...`);
    const port = 8250;
    const api = await startServerProcess({
      command: process.execPath,
      args: v.floor
        ? [join(ROOT, 'bench/servers/milvus-floor-server.mjs'), address, collection, String(port)]
        : [join(ROOT, 'dist/cli/serve.js')],
      env: {
        NODE_ENV: 'production',
        PORT: String(port),
        BACKEND: 'milvus',
        MILVUS_ADDRESS: address,
        DEMO_COLLECTION: '',
        LOG_LEVEL: 'warn',
        MILVUS_POOL_MAX: String(N),
        MILVUS_POOL_MIN: String(N),
        ...v.env,
      },
      url: `http://127.0.0.1:${port}`,
      readyPath: '/readyz',
    });
    try {
      rows.push(
        ...(await httpLevels(
          v.variant,
          `${api.url}/v1/collections/${collection}/search`,
          v.bodies,
          { pid: api.child.pid!, round: v.round },
        )),
      );
    } finally {
      await api.stop();
    }
  }
  // Milvus's own REST API (served on its gRPC port since 2.3): what a user gets by skipping vecserve.
  const restBodies = vectors.map((v) =>
    JSON.stringify({
      collectionName: collection,
      vector: Array.from(v),
      limit: 10,
      outputFields: ['id'],
    }),
  );
  rows.push(...(await httpLevels('milvus-rest', `http://${address}/v1/vector/search`, restBodies)));

  const byLevel = levels.map((c) => {
    // The median over the rounds of a variant at this level.
    const at = (v: string) => {
      const same = rows.filter((r) => r.variant === v && r.concurrency === c);
      if (same.length === 0) return undefined;
      return { qps: median(same.map((r) => r.qps)) };
    };
    const chosen = at('pool-shared-conn');
    const ratio = (v: string, base: { qps: number } | undefined) => {
      const row = at(v);
      return row && base ? round(row.qps / base.qps) : null;
    };
    return {
      concurrency: c,
      apiOverPoolQps: ratio('api', chosen),
      batchedOverPoolQps: ratio('api-batched', chosen),
      batchedBase64OverPoolQps: ratio('api-batched-base64', chosen),
      batchedOverMilvusRest: ratio('api-batched', at('milvus-rest')),
      batchedBase64OverMilvusRest: ratio('api-batched-base64', at('milvus-rest')),
      // Batching on (searches on HTTP/2) against the scenario's own pymilvus test.
      batchedOverPymilvus: ratio('api-batched', at('pymilvus')),
      apiOverPymilvus: ratio('api', at('pymilvus')),
      batchedHttp2OverGrpcJs: ratio('api-batched', at('api-batched-grpc-js')),
      // The floor: what a bare Node hop serves against pymilvus, and the API against the floor.
      floorOverPymilvus: ratio('floor', at('pymilvus')),
      batchedOverFloor: ratio('api-batched', at('floor')),
      batchedGrpcJsOverFloor: ratio('api-batched-grpc-js', at('floor')),
    };
  });
  return {
    ...envelope('milvus-pool', values, null, `${size} x ${values.dimension} at ${values.address}`),
    milvus: {
      address,
      collection,
      size: Number(size),
      dimension: DIM,
      index: 'HNSW M=16 efConstruction=200, ef=64, topK=10',
    },
    poolSize: N,
    durationSeconds: seconds,
    notes:
      'Milvus, the load generator and (for api) the API server share 2 cores. Closed loop. Latency in ms; api and milvus-rest rows from autocannon (1 ms resolution); pymilvus rows from pymilvus 2.3.7 in one Python process, c threads (its GIL included, as the scenario runs it).',
    results: rows,
    apiOverDirect: byLevel,
  };
}

const ROOT = resolve(import.meta.dirname, '../../..');

/** The pinned pymilvus's closed loop at every level (one process, c threads per level). */
async function pymilvusLevels(
  address: string,
  collection: string,
  queries: number[][],
  seconds: number,
  levels: number[],
  progress: Progress,
): Promise<MilvusPoolRun['results']> {
  const python = execFileSync('bash', [join(ROOT, 'deploy/milvus/pymilvus-venv.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  const dir = mkdtempSync(join(tmpdir(), 'vecserve-pymilvus-'));
  try {
    const file = join(dir, 'queries.json');
    writeFileSync(file, JSON.stringify(queries));
    progress(`  pymilvus c=${levels.join(',')}`);
    const { stdout } = await promisify(execFile)(
      python,
      [
        join(ROOT, 'bench/servers/python/pymilvus_loop.py'),
        address,
        collection,
        file,
        String(seconds),
        levels.join(','),
      ],
      { maxBuffer: 1 << 20, timeout: (levels.length * seconds + 120) * 1000 },
    );
    return stdout
      .trim()
      .split('\n')
      .map((line) => ({
        variant: 'pymilvus',
        ...(JSON.parse(line) as Omit<MilvusPoolRun['results'][number], 'variant'>),
      }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** vecserve_admission_rejections_total by reason, from a server's /metrics. */
async function refusalsByReason(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(url)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(
    /^vecserve_admission_rejections_total\{reason="([^"]+)"\} (\S+)$/gm,
  ))
    out[m[1]!] = Number(m[2]);
  return out;
}
