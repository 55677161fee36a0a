/**
 * bench:overload — does admission control keep admitted requests fast when
 * offered Nx what the server can do, and reject the excess fast?
 *
 * 1. capacity: the API's closed-loop maximum (autocannon, no admission control);
 * 2. for each configuration (none, fixed concurrency limit + queue, adaptive):
 *    open-loop at 0.25x capacity (the "unloaded" p99), then at --factor x capacity (5);
 *    latency from each request's intended send time, admitted (200) and
 *    rejected (429/503) apart.
 * Writes bench/results/overload.json.
 *
 *   npm run bench:overload -- [--backend embedded|milvus] [--factor 5] [--seconds 5] [--out FILE]
 *                             [--via nginx [--front-door-share 0.5]]
 *                             [--generator vegeta|node] [--server-cpus 1] [--generator-cpus 0]
 *
 * --generator vegeta (default) offers the load with vegeta, a compiled open-loop
 * generator installed by deploy/tools/install-vegeta.sh; the Node runner tops out
 * near 2,400 req/s of 4 KB bodies per core here. Every run records the offered
 * rate, the achieved send rate and the late sends.
 *
 * --via nginx runs the whole stack (npm run stack:up: nginx -> PM2 workers) on
 * ports of its own and compares nginx without and with a host-wide limit_req
 * set to a share of the measured capacity: shedding before Node reads a byte.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { type OpenLoopResult, openLoop } from './harness/runners/open-loop.ts';
import { type VegetaResult, vegetaOpenLoop } from './harness/runners/vegeta.ts';
import { environment } from './lib/environment.ts';
import { searchBodies } from './lib/query-bodies.ts';
import { startServerProcess } from './lib/server-process.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    size: { type: 'string', default: '10000' },
    out: { type: 'string', default: 'bench/results/overload.json' },
    backend: { type: 'string', default: 'embedded' },
    factor: { type: 'string', default: '5' },
    'milvus-address': { type: 'string', default: '127.0.0.1:19530' },
    via: { type: 'string', default: 'direct' },
    'front-door-share': { type: 'string', default: '0.5' },
    // e.g. 1: run the stack (nginx, workers) on these CPUs (taskset), the generator elsewhere.
    'server-cpus': { type: 'string' },
    'generator-cpus': { type: 'string' },
    generator: { type: 'string', default: 'vegeta' },
    // Run only the configurations whose name contains this (e.g. "defaults").
    only: { type: 'string' },
    // Clients' connection pool: a flood from a bounded set of keep-alive connections,
    // as from an application's HTTP client pool (vegeta -max-connections).
    'max-connections': { type: 'string', default: '512' },
    // Search breadth in every query (params.ef); a higher one lowers capacity honestly.
    ef: { type: 'string' },
    // Keep the collection here across runs (a 100k demo takes minutes to build).
    'data-dir': { type: 'string' },
    // One more configuration to try, e.g. --env CONCURRENCY_LIMIT=4 --env QUEUE_TARGET=0.005
    env: { type: 'string', multiple: true },
  },
});
const viaNginx = values.via === 'nginx';
const milvus = values.backend === 'milvus';
// Milvus: search the collection bench:milvus-pool prepares; the API holds real async waits.
const backendEnv: Record<string, string> = milvus
  ? {
      BACKEND: 'milvus',
      MILVUS_ADDRESS: values['milvus-address']!,
      DEMO_COLLECTION: '',
      MILVUS_POOL_MAX: '16',
      MILVUS_POOL_MIN: '16',
    }
  : {};
const seconds = Number(values.seconds);
const factor = Number(values.factor);
const DIM = 512;
const PORT = 8260;
const dataDir = values['data-dir'] ?? `.data/bench-overload-${process.pid}`;
const bodies = searchBodies(1000, DIM, values.ef ? { params: { ef: Number(values.ef) } } : {});
const path = milvus ? '/v1/collections/bench_pool_512/search' : '/v1/collections/products/search';
const r2 = (v: number) => Math.round(v * 100) / 100;

const configurations: { name: string; env: Record<string, string> }[] = milvus
  ? [
      {
        name: 'no admission control',
        env: {
          MAX_EVENT_LOOP_LAG: '0',
          CONCURRENCY_LIMIT: '0',
          BREAKER: 'off',
          MILVUS_POOL_MAX_WAITING: '100000',
          MILVUS_POOL_ACQUIRE_TIMEOUT: '30',
        },
      },
      {
        name: 'concurrency 16 + queue 16 (20 ms)',
        env: { CONCURRENCY_LIMIT: '16', QUEUE_LIMIT: '16', QUEUE_TIMEOUT: '0.02', BREAKER: 'off' },
      },
      {
        name: 'adaptive (Vegas) + queue 16 (20 ms)',
        env: {
          ADAPTIVE_CONCURRENCY: 'true',
          CONCURRENCY_LIMIT: '8',
          ADAPTIVE_MAX_LIMIT: '64',
          QUEUE_LIMIT: '16',
          QUEUE_TIMEOUT: '0.02',
          BREAKER: 'off',
        },
      },
    ]
  : [
      {
        name: 'no admission control',
        env: { MAX_EVENT_LOOP_LAG: '0', CONCURRENCY_LIMIT: '0', BREAKER: 'off' },
      },
      {
        name: 'concurrency 4 + queue 8 only',
        env: {
          MAX_EVENT_LOOP_LAG: '0',
          CONCURRENCY_LIMIT: '4',
          QUEUE_LIMIT: '8',
          QUEUE_TIMEOUT: '0.05',
          BREAKER: 'off',
        },
      },
      {
        name: 'event-loop guard 20 ms',
        env: { MAX_EVENT_LOOP_LAG: '0.02', CONCURRENCY_LIMIT: '0', BREAKER: 'off' },
      },
      { name: 'defaults', env: {} },
    ];

/** Admitted (200) and refused (429/503) apart; latency from intended send times. */
function summarize(
  r: OpenLoopResult & Partial<Pick<VegetaResult, 'afterFirstSecond' | 'refusedWithoutRetryAfter'>>,
) {
  const after = r.afterFirstSecond;
  const other = Object.entries(r.byOutcome).filter(([k]) => !['200', '503', '429'].includes(k));
  return {
    offered: r.intended,
    offeredPerSecond: Math.round(r.targetRate),
    achievedSendRate: Math.round(r.achievedSendRate),
    lateSends: r.late,
    droppedSends: r.dropped,
    admitted: r.latency.count,
    admittedPerSecond: Math.round(r.latency.count / seconds),
    admittedMs: { p50: r2(r.latency.p50Ms), p99: r2(r.latency.p99Ms), max: r2(r.latency.maxMs) },
    rejected: r.refused.count,
    rejectedMs: { p50: r2(r.refused.p50Ms), p99: r2(r.refused.p99Ms), max: r2(r.refused.maxMs) },
    // null: the Node runner does not record headers.
    rejectedWithoutRetryAfter: r.refusedWithoutRetryAfter ?? null,
    otherOutcomes: Object.fromEntries(other),
    // The first second holds the start transient (cold code, the generator opening connections).
    afterFirstSecond: after
      ? {
          admittedMs: { p50: r2(after.latency.p50Ms), p99: r2(after.latency.p99Ms) },
          rejectedMs: { p50: r2(after.refused.p50Ms), p99: r2(after.refused.p99Ms) },
        }
      : null,
    generator: r.generator,
  };
}

/** The acceptance targets of the overload issue, checked on one configuration's run. */
function verdicts(
  unloaded: ReturnType<typeof summarize>,
  overload: ReturnType<typeof summarize>,
  recovery: { seconds: number | null } | null,
) {
  const bound = 2 * unloaded.admittedMs.p99;
  const retryAfter = overload.rejected === 0 || overload.rejectedWithoutRetryAfter === 0;

  return {
    generatorOfferedTheLoad: overload.generator.trustworthy,
    admittedP99WithinTwiceUnloaded: overload.admittedMs.p99 <= bound,
    admittedP99WithinTwiceUnloadedAfterFirstSecond:
      overload.afterFirstSecond !== null && overload.afterFirstSecond.admittedMs.p99 <= bound,
    refusedP99Under5Ms: overload.rejected > 0 && overload.rejectedMs.p99 < 5,
    refusedP99Under5MsAfterFirstSecond:
      overload.afterFirstSecond !== null && overload.afterFirstSecond.rejectedMs.p99 < 5,
    everyRefusalWithRetryAfter: retryAfter,
    noErrors: Object.keys(overload.otherOutcomes).length === 0,
    unloadedP99BackWithin5s:
      recovery !== null && recovery.seconds !== null && recovery.seconds <= 5,
  };
}

/** Open loop at `rate` for `durationSeconds`, one held-out body after another. */
const load = (url: string, rate: number, durationSeconds: number) =>
  values.generator === 'vegeta'
    ? vegetaOpenLoop({
        url,
        path,
        bodies,
        rate,
        seconds: durationSeconds,
        cpus: values['generator-cpus'],
        maxConnections: Number(values['max-connections']),
      })
    : openLoop({
        url,
        stages: [{ rate, seconds: durationSeconds }],
        request: (i) => ({ path, body: bodies[i % bodies.length]! }),
      });

const STACK_PORTS = { app: 8270, internal: 8280, nginx: 8290, status: 8291, worker: 8300 };

/** The nginx + PM2 stack through the stack scripts, on ports of its own. */
async function startStack(env: Record<string, string>) {
  const stackEnv = {
    ...(process.env as Record<string, string>),
    DATA_DIR: dataDir,
    PORT: String(STACK_PORTS.app),
    INTERNAL_PORT: String(STACK_PORTS.internal),
    WORKER_PORT: String(STACK_PORTS.worker),
    NGINX_LISTEN: `127.0.0.1:${STACK_PORTS.nginx}`,
    NGINX_STATUS_LISTEN: `127.0.0.1:${STACK_PORTS.status}`,
    NGINX_RATE_LIMIT: '0', // one client IP here: only the host-wide limit applies
    NGINX_CONN_LIMIT: '0',
    DEMO_SIZE: values.size!,
    LOG_LEVEL: 'warn',
    ...backendEnv,
    ...env,
  };
  const run = (command: string) => {
    const argv = [process.execPath, '--import', 'tsx', 'src/cli/stack.ts', command];
    const cpus = values['server-cpus'];
    const out = spawnSync(
      cpus ? 'taskset' : argv[0]!,
      cpus ? ['-c', cpus, ...argv] : argv.slice(1),
      {
        env: stackEnv,
        encoding: 'utf8',
      },
    );
    if (out.status !== 0) throw new Error(`stack ${command} failed:\n${out.stdout}${out.stderr}`);
  };
  run('up');
  return { url: `http://127.0.0.1:${STACK_PORTS.nginx}`, stop: async () => run('down') };
}

async function main() {
  if (!values['data-dir']) rmSync(dataDir, { recursive: true, force: true });
  const start = (env: Record<string, string>) =>
    viaNginx
      ? startStack(env)
      : startServerProcess({
          // --server-cpus pins the server away from the generator.
          command: values['server-cpus'] ? 'taskset' : process.execPath,
          args: [
            ...(values['server-cpus'] ? ['-c', values['server-cpus'], process.execPath] : []),
            '--import',
            'tsx',
            'src/server/main.ts',
          ],
          env: {
            PORT: String(PORT),
            DATA_DIR: dataDir,
            DEMO_SIZE: values.size!,
            LOG_LEVEL: 'warn',
            ...backendEnv,
            ...env,
          },
          url: `http://127.0.0.1:${PORT}`,
          readyPath: '/readyz',
        });

  process.stderr.write('capacity: closed loop, no admission control...\n');
  let server = await start(viaNginx ? {} : configurations[0]!.env);
  let i = 0;
  const capacityRun = await autocannon({
    url: `${server.url}${path}`,
    method: 'POST',
    connections: 16,
    duration: 4,
    headers: { 'content-type': 'application/json' },
    requests: [{ setupRequest: (req) => ({ ...req, body: bodies[i++ % bodies.length] }) }],
  });
  await server.stop();
  const capacity = Math.round(capacityRun.requests.average);
  process.stderr.write(`capacity ~ ${capacity} req/s\n`);

  const share = Number(values['front-door-share']);
  const frontDoorRate = Math.round(capacity * share);
  const runs = viaNginx
    ? [
        { name: 'nginx, no front-door limit (app defaults)', env: {} },
        {
          name: `nginx limit_req whole host ${frontDoorRate}/s (${share} x capacity), app defaults`,
          env: {
            NGINX_GLOBAL_RATE_LIMIT: String(frontDoorRate),
            NGINX_GLOBAL_RATE_BURST: String(Math.max(1, Math.round(frontDoorRate / 20))),
          },
        },
      ]
    : [
        ...configurations,
        ...(values.env?.length
          ? [
              {
                name: values.env.join(' '),
                env: Object.fromEntries(
                  values.env.map((kv) => kv.split('=', 2) as [string, string]),
                ),
              },
            ]
          : []),
      ].filter((c) => !values.only || c.name.includes(values.only));
  const rows: Record<string, unknown>[] = [];
  for (const conf of runs) {
    server = await start(conf.env);
    try {
      // Warm-up, discarded: the first second after start pays for JIT, sockets and pooled clients.
      await load(server.url, capacity / 4, 2);
      process.stderr.write(`${conf.name}: unloaded (${Math.round(capacity / 4)}/s)...\n`);
      const unloaded = summarize(await load(server.url, capacity / 4, seconds));
      process.stderr.write(`${conf.name}: overload (${capacity * factor}/s)...\n`);
      const overload = summarize(await load(server.url, capacity * factor, seconds));
      // Right after the flood, the unloaded rate again: how soon is p99 back?
      let recovery: { seconds: number | null; perSecondP99Ms: number[] } | null = null;
      if (values.generator === 'vegeta') {
        const after = (await load(server.url, capacity / 4, 10)) as { perSecondP99Ms?: number[] };
        const p99s = after.perSecondP99Ms ?? [];
        const bound = Math.max(1, 2 * unloaded.admittedMs.p99);
        const back = p99s.findIndex((_, i) => p99s.slice(i).every((v) => v <= bound));
        recovery = { seconds: back < 0 ? null : back, perSecondP99Ms: p99s.map(r2) };
      }
      rows.push({
        configuration: conf.name,
        unloaded,
        overload,
        recovery,
        admittedP99OverUnloadedP99: r2(
          overload.admittedMs.p99 / Math.max(0.01, unloaded.admittedMs.p99),
        ),
        targets: verdicts(unloaded, overload, recovery),
      });
    } finally {
      await server.stop();
    }
  }
  if (!values['data-dir']) rmSync(dataDir, { recursive: true, force: true });

  const report = {
    benchmark: 'overload',
    environment: environment(),
    generator:
      values.generator === 'vegeta'
        ? 'vegeta v12.13.0 (compiled, open loop)'
        : 'Node open-loop runner (undici)',
    notes: viaNginx
      ? 'nginx, PM2 workers and the open-loop generator share 2 cores. Latency from intended send time (ms).'
      : 'Server (1 Node process) and open-loop generator share 2 cores. Latency from intended send time (ms).',
    via: viaNginx ? 'nginx -> PM2 cluster' : 'direct to one server process',
    backend: milvus ? `milvus at ${values['milvus-address']}` : 'embedded',
    dataset: milvus
      ? { collection: 'bench_pool_512', size: 20000, dimension: DIM }
      : { collection: 'products', size: Number(values.size), dimension: DIM },
    query: { topK: 10, ef: values.ef ? Number(values.ef) : 'collection default' },
    clientConnections: Number(values['max-connections']),
    capacityPerSecond: capacity,
    overloadFactor: factor,
    secondsPerRun: seconds,
    targets: { admittedP99WithinUnloadedTimes: 2, rejectedP99UnderMs: 5 },
    results: rows,
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(values.out!, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`capacity ${capacity}/s; overload offered ${capacity * factor}/s`);
  console.table(
    rows.map((r) => {
      const u = r.unloaded as ReturnType<typeof summarize>;
      const o = r.overload as ReturnType<typeof summarize>;
      return {
        configuration: r.configuration,
        'unloaded p99': u.admittedMs.p99,
        'overload admitted/s': o.admittedPerSecond,
        'admitted p99': o.admittedMs.p99,
        'x unloaded': r.admittedP99OverUnloadedP99,
        rejected: o.rejected,
        'rejected p99': o.rejectedMs.p99,
        'admitted/rejected p99 after 1st s': o.afterFirstSecond
          ? `${o.afterFirstSecond.admittedMs.p99} / ${o.afterFirstSecond.rejectedMs.p99}`
          : '-',
        errors: JSON.stringify(o.otherOutcomes),
        'offered/s': o.offeredPerSecond,
        'p99 back after (s)': (r.recovery as { seconds: number | null } | null)?.seconds ?? '-',
        'sent/s': o.achievedSendRate,
        late: o.lateSends,
      };
    }),
  );
  for (const r of rows) {
    const failed = Object.entries(r.targets as Record<string, boolean>).filter(([, ok]) => !ok);
    console.log(
      `${r.configuration}: ${failed.length === 0 ? 'every target met' : `not met: ${failed.map(([k]) => k).join(', ')}`}`,
    );
  }
  console.log(`written to ${values.out}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
