/**
 * overload — does admission control keep admitted requests fast when offered
 * N x what the server can do, and refuse the excess fast?
 *
 * 1. capacity: the API's closed-loop maximum (autocannon, no admission control);
 * 2. for each configuration (none, fixed concurrency limit + queue, adaptive, defaults):
 *    open loop at 0.25x capacity (the "unloaded" p99), then at --factor x capacity,
 *    then unloaded again (how soon p99 is back); latency from each request's
 *    intended send time, admitted (200) and refused (429/503) apart.
 *
 * vegeta (default) offers the load: a compiled open-loop generator installed by
 * deploy/tools/install-vegeta.sh; the Node runner tops out near 2,400 req/s of
 * 4 KB bodies per core here. Every run records the offered rate, the achieved
 * send rate and the late sends.
 *
 * --via nginx runs the whole stack (nginx -> PM2 workers) on ports of its own and
 * compares nginx without and with a host-wide limit_req set to a share of the
 * measured capacity: shedding before Node reads a byte.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import autocannon from 'autocannon';
import { searchBodies } from '../../lib/query-bodies.ts';
import { startServerProcess } from '../../lib/server-process.ts';
import { type Command, num, type Progress, str, type Values } from '../command-line.ts';
import { envelope } from '../envelope.ts';
import type { OverloadRun } from '../result.ts';
import { type OpenLoopResult, openLoop } from '../runners/open-loop.ts';
import { type VegetaResult, vegetaOpenLoop } from '../runners/vegeta.ts';

/** Admission control at N x capacity, open loop, each configuration in turn. */
export const overloadCommand: Command = {
  name: 'overload',
  summary:
    'admission control at N x capacity, open loop (vegeta): admitted and refused latency, recovery',
  defaultOut: () => 'bench/results/overload.json',
  options: {
    factor: { type: 'string', default: '5', help: 'overload as a multiple of measured capacity' },
    seconds: { type: 'string', default: '5', help: 'seconds per phase' },
    backend: { type: 'string', default: 'embedded', help: 'embedded or milvus' },
    'milvus-address': { type: 'string', default: '127.0.0.1:19530', help: 'with --backend milvus' },
    via: { type: 'string', default: 'direct', help: 'direct (one server) or nginx (the stack)' },
    'front-door-share': {
      type: 'string',
      default: '0.5',
      help: "--via nginx: nginx's host-wide limit as a share of capacity",
    },
    'server-cpus': { type: 'string', help: 'taskset CPU list for the server, e.g. 1' },
    'generator-cpus': { type: 'string', help: 'taskset CPU list for vegeta, e.g. 0' },
    generator: { type: 'string', default: 'vegeta', help: 'vegeta or node' },
    only: { type: 'string', help: 'run only the configurations whose name contains this' },
    'max-connections': {
      type: 'string',
      default: '512',
      help: "the clients' keep-alive connections (an application's HTTP client pool)",
    },
    size: { type: 'string', default: '10000', help: 'demo collection size (embedded)' },
    ef: {
      type: 'string',
      help: 'params.ef of every query (a higher one lowers capacity honestly)',
    },
    'data-dir': { type: 'string', help: 'keep the collection here across runs' },
    env: {
      type: 'string',
      multiple: true,
      help: 'one more configuration, repeatable: --env CONCURRENCY_LIMIT=4 --env QUEUE_TARGET=0.005',
    },
  },
  run: (values, progress) => runOverload(values, progress),
};

async function runOverload(values: Values, progress: Progress): Promise<OverloadRun> {
  const opt = (key: string) =>
    typeof values[key] === 'string' ? (values[key] as string) : undefined;
  const extraEnv = (values.env as string[] | undefined) ?? [];
  const only = opt('only');
  const serverCpus = opt('server-cpus');
  const viaNginx = values.via === 'nginx';
  const milvus = values.backend === 'milvus';
  // Milvus: search the collection the milvus-pool bench prepares; the API holds real async waits.
  const backendEnv: Record<string, string> = milvus
    ? {
        BACKEND: 'milvus',
        MILVUS_ADDRESS: str(values, 'milvus-address'),
        DEMO_COLLECTION: '',
        MILVUS_POOL_MAX: '16',
        MILVUS_POOL_MIN: '16',
      }
    : {};
  const seconds = num(values, 'seconds');
  const factor = num(values, 'factor');
  const DIM = 512;
  const PORT = 8260;
  const dataDir = opt('data-dir') ?? `.data/bench-overload-${process.pid}`;
  const bodies = searchBodies(1000, DIM, opt('ef') ? { params: { ef: Number(opt('ef')) } } : {});
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
          env: {
            CONCURRENCY_LIMIT: '16',
            QUEUE_LIMIT: '16',
            QUEUE_TIMEOUT: '0.02',
            BREAKER: 'off',
          },
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
    r: OpenLoopResult &
      Partial<Pick<VegetaResult, 'afterFirstSecond' | 'refusedWithoutRetryAfter'>>,
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
          cpus: opt('generator-cpus'),
          maxConnections: num(values, 'max-connections'),
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
      DEMO_SIZE: str(values, 'size'),
      LOG_LEVEL: 'warn',
      ...backendEnv,
      ...env,
    };
    const run = (command: string) => {
      const argv = [process.execPath, '--import', 'tsx', 'src/cli/stack.ts', command];
      const cpus = opt('server-cpus');
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

  if (!opt('data-dir')) rmSync(dataDir, { recursive: true, force: true });
  const start = (env: Record<string, string>) =>
    viaNginx
      ? startStack(env)
      : startServerProcess({
          // --server-cpus pins the server away from the generator.
          command: serverCpus ? 'taskset' : process.execPath,
          args: [
            ...(serverCpus ? ['-c', serverCpus, process.execPath] : []),
            '--import',
            'tsx',
            'src/cli/serve.ts',
          ],
          env: {
            PORT: String(PORT),
            DATA_DIR: dataDir,
            DEMO_SIZE: str(values, 'size'),
            LOG_LEVEL: 'warn',
            ...backendEnv,
            ...env,
          },
          url: `http://127.0.0.1:${PORT}`,
          readyPath: '/readyz',
        });

  progress('capacity: closed loop, no admission control...');
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
  progress(`capacity ~ ${capacity} req/s`);

  const share = num(values, 'front-door-share');
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
        ...(extraEnv.length
          ? [
              {
                name: extraEnv.join(' '),
                env: Object.fromEntries(extraEnv.map((kv) => kv.split('=', 2) as [string, string])),
              },
            ]
          : []),
      ].filter((c) => !only || c.name.includes(only));
  const rows: OverloadRun['results'] = [];
  for (const conf of runs) {
    server = await start(conf.env);
    try {
      // Warm-up, discarded: the first second after start pays for JIT, sockets and pooled clients.
      await load(server.url, capacity / 4, 2);
      progress(`${conf.name}: unloaded (${Math.round(capacity / 4)}/s)...`);
      const unloaded = summarize(await load(server.url, capacity / 4, seconds));
      progress(`${conf.name}: overload (${capacity * factor}/s)...`);
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
  if (!opt('data-dir')) rmSync(dataDir, { recursive: true, force: true });

  return {
    ...envelope(
      'overload',
      values,
      null,
      `${milvus ? 'milvus' : 'embedded'} at ${factor}x capacity${viaNginx ? ' via nginx' : ''}`,
    ),
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
      : { collection: 'products', size: num(values, 'size'), dimension: DIM },
    query: { topK: 10, ef: opt('ef') ? Number(opt('ef')) : 'collection default' },
    clientConnections: num(values, 'max-connections'),
    capacityPerSecond: capacity,
    overloadFactor: factor,
    secondsPerRun: seconds,
    targets: { admittedP99WithinUnloadedTimes: 2, rejectedP99UnderMs: 5 },
    results: rows,
  };
}
