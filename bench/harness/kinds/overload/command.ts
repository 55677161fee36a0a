/**
 * overload — does admission keep serving what the machine can serve, fast,
 * when offered N x that, and refuse the rest at once?
 *
 * 1. capacity: the most ok answers per second a closed loop (wrk) gets from
 *    the server with admission off, doubling the concurrency from 1 to 64 and on
 *    while a doubling still gains 5% (nextCapacityLevel; the knee: the least
 *    concurrency within 5% of the best);
 * 2. for each configuration: open loop (vegeta, compiled, latency from each
 *    request's intended send time) at a quarter of capacity (the unloaded
 *    p99), at --factor x capacity, then a quarter again (how soon p99 is back).
 *
 * Figures for the flood: goodput (ok answers per second as a share of the
 * capacity measured in the same run), admitted p99 over unloaded p99, refusal
 * p99, Retry-After on every refusal, other outcomes; and whether the
 * generator sent what was asked. A configuration that meets the latency
 * targets by refusing capacity is reported as such: goodput is a target too.
 *
 * --via nginx runs the stack (nginx -> PM2 workers) on ports of its own:
 * nginx with no front-door limit, with a host-wide rate limit at a share of
 * capacity (the old way), and with the in-flight limit (NGINX_INFLIGHT_LIMIT)
 * as shipped and as sized from the knee. --server-cpus / --generator-cpus pin
 * the server side and vegeta apart, so the server's core is its own.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../../../src/config/load-config.ts';
import { searchBodies } from '../../../lib/query-bodies.ts';
import { startServerProcess } from '../../../lib/server-process.ts';
import {
  type Command,
  num,
  type Progress,
  str,
  UsageError,
  type Values,
} from '../../command-line.ts';
import { envelope } from '../../envelope.ts';
import { processCpuSeconds } from '../../runners/process-cpu.ts';
import { type VegetaResult, vegetaOpenLoop } from '../../runners/vegeta.ts';
import { runWrk } from '../../runners/wrk.ts';
import type { OverloadRun } from './result.ts';

const ROOT = resolve(import.meta.dirname, '../../../..');

/** The targets of the overload issue, by where the refusals happen. */
export const OVERLOAD_TARGETS = {
  stack: { goodput: 0.9, admittedOverUnloaded: 2, refusedP99Ms: 5 },
  direct: { goodput: 0.8, admittedOverUnloaded: 3, refusedP99Ms: null },
} as const;

export const overloadCommand: Command = {
  name: 'overload',
  summary:
    'admission at N x measured capacity, open loop (vegeta): goodput, admitted and refused latency, recovery',
  defaultOut: () => 'bench/results/overload.json',
  options: {
    factor: { type: 'string', default: '10', help: 'the flood as a multiple of measured capacity' },
    seconds: { type: 'string', default: '60', help: 'seconds of each phase (unloaded, flood)' },
    backend: { type: 'string', default: 'embedded', help: 'embedded or milvus' },
    'milvus-address': { type: 'string', default: '127.0.0.1:19530', help: 'with --backend milvus' },
    via: {
      type: 'string',
      default: 'direct',
      help: 'direct (one server process) or nginx (the stack)',
    },
    'front-door-share': {
      type: 'string',
      default: '0.5',
      help: "--via nginx: the rate-limit configuration's share of capacity",
    },
    'server-cpus': { type: 'string', help: 'taskset CPU list of the server side, e.g. 1' },
    'generator-cpus': { type: 'string', help: 'taskset CPU list of vegeta, e.g. 0' },
    only: { type: 'string', help: 'run only the configurations whose name contains this' },
    'max-connections': {
      type: 'string',
      default: '512',
      help: "the clients' connections (an application's HTTP client pool; 20000: a connection flood)",
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
      help: 'a variable of one more configuration; repeat it for several variables of that one configuration: --env MAX_EVENT_LOOP_LAG=0.005 --env WORKERS=2',
    },
    'write-config': {
      type: 'string',
      help: "--via nginx: write the knee-sized in-flight bound (nginx_inflight_limit) into this JSON settings file (the stack's CONFIG_FILE), keeping its other settings",
    },
  },
  run: (values, progress) => runOverload(values, progress),
};

/**
 * The variables given with --env, all of one extra configuration. Checked before the
 * capacity run: a variable given twice would run only its last value under a name that
 * shows both.
 */
export function extraConfiguration(pairs: string[]): [string, string][] {
  const seen = new Set<string>();
  return pairs.map((kv) => {
    const at = kv.indexOf('=');
    if (at <= 0) throw new UsageError(`--env takes NAME=VALUE, got "${kv}"`);
    const name = kv.slice(0, at);
    if (seen.has(name))
      throw new UsageError(
        `--env ${name} given twice: all --env variables make one configuration; run once per value`,
      );
    seen.add(name);
    return [name, kv.slice(at + 1)];
  });
}

/** The closed loop stops doubling here unless a doubling still gains this much. */
const CAPACITY_GAIN = 1.05;
/** Connections wrk opens at most while looking for capacity. */
const CAPACITY_MAX_CONNECTIONS = 1024;

/**
 * The capacity loop's next concurrency, or null when done: doubling from 1 to 64, then on
 * while the last doubling still gained 5%, never past the clients' connections. A backend
 * that waits on the network peaks later: over Milvus the best of 1..64 was at 64 and a flood
 * on 512 connections was served 124-139% of that "capacity".
 */
export function nextCapacityLevel(
  sweep: readonly { concurrency: number; okPerSecond: number }[],
  maxConnections: number,
): number | null {
  const last = sweep.at(-1);
  if (!last) return 1;
  const next = last.concurrency * 2;
  if (next > Math.min(maxConnections, CAPACITY_MAX_CONNECTIONS)) return null;
  if (next <= 64) return next;
  const before = sweep.at(-2);
  return before && last.okPerSecond >= CAPACITY_GAIN * before.okPerSecond ? next : null;
}

interface Target {
  url: string;
  /** The one server process (direct): its CPU during the flood is measured. */
  pid?: number;
  stop(): Promise<unknown>;
}

/**
 * The most goodput a server can keep when offered `factor` x its capacity and
 * every refusal costs `refusalCpuUs` of its core (an estimate, not a bound: the
 * floor's cost is measured at the flood's rate, and below saturation it pays a
 * wake-up per few requests that a saturated server shares among many): admitted g x C searches at
 * 1/C each plus (factor - g) x C refusals must fit in one core, so
 * g <= (1 - factor x C x r) / (1 - C x r), as a share of capacity, in [0, 1].
 */
export function goodputCeiling(factor: number, capacity: number, refusalCpuUs: number): number {
  const cr = capacity * refusalCpuUs * 1e-6;
  if (cr >= 1) return 0;
  return Math.min(1, Math.max(0, (1 - factor * cr) / (1 - cr)));
}

async function runOverload(values: Values, progress: Progress): Promise<OverloadRun> {
  const opt = (key: string) =>
    typeof values[key] === 'string' ? (values[key] as string) : undefined;
  const via = str(values, 'via');
  if (via !== 'direct' && via !== 'nginx')
    throw new UsageError(`--via is direct or nginx, got "${via}"`);
  const viaNginx = via === 'nginx';
  const configFile = opt('write-config');
  if (configFile !== undefined && !viaNginx)
    throw new UsageError("--write-config sizes the stack's front door: use it with --via nginx");
  // Read before the run, so a file that cannot take the setting fails now, not after an hour.
  const sizing =
    configFile === undefined ? null : { file: configFile, before: readSettingsFile(configFile) };
  const extra = extraConfiguration((values.env as string[] | undefined) ?? []);
  const milvus = values.backend === 'milvus';
  const seconds = num(values, 'seconds');
  const factor = num(values, 'factor');
  const serverCpus = opt('server-cpus');
  const DIM = 512;
  const dataDir = resolve(opt('data-dir') ?? `.data/bench-overload-${process.pid}`);
  const bodies = searchBodies(1000, DIM, opt('ef') ? { params: { ef: Number(opt('ef')) } } : {});
  const path = milvus ? '/v1/collections/bench_pool_512/search' : '/v1/collections/products/search';
  const r2 = (v: number) => Math.round(v * 100) / 100;
  // Milvus: the collection the milvus-pool bench prepares; no demo collection.
  const backendEnv: Record<string, string> = milvus
    ? {
        BACKEND: 'milvus',
        MILVUS_ADDRESS: str(values, 'milvus-address'),
        DEMO_COLLECTION: '',
      }
    : { DEMO_SIZE: str(values, 'size') };
  const admissionOff = {
    MAX_EVENT_LOOP_LAG: '0',
    CONCURRENCY_LIMIT: '0',
    BREAKER: 'off',
    NGINX_INFLIGHT_LIMIT: '0',
  };

  const DIRECT_PORT = 8260;
  const FLOOR_PORT = 8261;
  const STACK_PORTS = { app: 8270, internal: 8280, nginx: 8290, status: 8291, worker: 8300 };
  const pinned = (argv: string[]) => (serverCpus ? ['taskset', '-c', serverCpus, ...argv] : argv);

  /** A Node script on the server's CPUs, ready once /readyz answers. taskset execs it: the pid is its. */
  const startPinnedNode = async (
    script: string,
    args: string[],
    env: Record<string, string>,
    port: number,
  ): Promise<Required<Target>> => {
    const argv = pinned([process.execPath, join(ROOT, script), ...args]);
    const server = await startServerProcess({
      command: argv[0]!,
      args: argv.slice(1),
      env,
      url: `http://127.0.0.1:${port}`,
      readyPath: '/readyz',
    });
    return { url: server.url, pid: server.child.pid!, stop: () => server.stop() };
  };

  /** One server process: what `npm start` runs (the compiled server). */
  const startDirect = (env: Record<string, string>): Promise<Target> =>
    startPinnedNode(
      'dist/cli/serve.js',
      [],
      {
        PORT: String(DIRECT_PORT),
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        ...backendEnv,
        ...env,
      },
      DIRECT_PORT,
    );

  /** The nginx + PM2 stack through the stack scripts, on ports of its own. */
  const startStack = async (env: Record<string, string>): Promise<Target> => {
    // The caller's CONFIG_FILE is not the configuration under test: each one is named by its env.
    const { CONFIG_FILE: _callersFile, ...inherited } = process.env as Record<string, string>;
    const stackEnv = {
      ...inherited,
      DATA_DIR: dataDir,
      PORT: String(STACK_PORTS.app),
      INTERNAL_PORT: String(STACK_PORTS.internal),
      WORKER_PORT: String(STACK_PORTS.worker),
      NGINX_LISTEN: `127.0.0.1:${STACK_PORTS.nginx}`,
      NGINX_STATUS_LISTEN: `127.0.0.1:${STACK_PORTS.status}`,
      NGINX_RATE_LIMIT: '0', // one client IP here: only host-wide limits apply
      NGINX_CONN_LIMIT: '0',
      LOG_LEVEL: 'warn',
      ...backendEnv,
      ...env,
    };
    const run = (command: string) => {
      const argv = pinned([process.execPath, '--import', 'tsx', 'src/cli/stack.ts', command]);
      const out = spawnSync(argv[0]!, argv.slice(1), {
        cwd: ROOT,
        env: stackEnv,
        encoding: 'utf8',
      });
      if (out.status !== 0) throw new Error(`stack ${command} failed:\n${out.stdout}${out.stderr}`);
    };
    run('up');
    return { url: `http://127.0.0.1:${STACK_PORTS.nginx}`, stop: async () => run('down') };
  };
  const start = viaNginx ? startStack : startDirect;

  /** Open loop at `rate`, one held-out body after another. */
  const load = (url: string, rate: number, durationSeconds: number) =>
    vegetaOpenLoop({
      url,
      path,
      bodies,
      rate,
      seconds: durationSeconds,
      cpus: opt('generator-cpus'),
      maxConnections: num(values, 'max-connections'),
    });

  if (!opt('data-dir')) rmSync(dataDir, { recursive: true, force: true });

  // Capacity: the closed loop's best, with admission off, the knee's concurrency with it.
  progress('capacity: closed loop (wrk), admission off...');
  let server = await start(admissionOff);
  const sweep: { concurrency: number; okPerSecond: number; p99Ms: number }[] = [];
  try {
    await runWrk({ url: server.url, path, bodies, connections: 8, seconds: 3 });
    const maxConnections = num(values, 'max-connections');
    for (
      let concurrency = nextCapacityLevel(sweep, maxConnections);
      concurrency !== null;
      concurrency = nextCapacityLevel(sweep, maxConnections)
    ) {
      const w = await runWrk({
        url: server.url,
        path,
        bodies,
        connections: concurrency,
        seconds: 5,
      });
      sweep.push({
        concurrency,
        okPerSecond: Math.round(w.okPerSecond),
        p99Ms: w.latencyMs.p99,
      });
    }
  } finally {
    await server.stop();
  }
  const best = sweep.reduce((a, b) => (b.okPerSecond > a.okPerSecond ? b : a));
  // The knee: the least concurrency within 5% of the best throughput.
  const knee = sweep.find((s) => s.okPerSecond >= 0.95 * best.okPerSecond)!;
  const capacity = best.okPerSecond;
  progress(
    `capacity ${capacity} ok/s (best at c=${best.concurrency}; knee c=${knee.concurrency}, ${knee.okPerSecond}/s)`,
  );

  // The refusal floor (direct only): a bare node:http server refusing the same flood. What a
  // refusal costs it estimates the goodput a Node server can keep at this factor.
  let refusalFloor: OverloadRun['refusalFloor'] = null;
  if (!viaNginx) {
    progress(`refusal floor: bare node:http refusing ${factor}x...`);
    const floor = await startPinnedNode(
      'bench/servers/refusal-floor.mjs',
      [String(FLOOR_PORT)],
      {},
      FLOOR_PORT,
    );
    try {
      await load(floor.url, capacity, 2);
      const cpu0 = processCpuSeconds(floor.pid) ?? 0;
      const floodSeconds = Math.min(seconds, 20);
      const r = await load(floor.url, capacity * factor, floodSeconds);
      const cpu = (processCpuSeconds(floor.pid) ?? 0) - cpu0;
      const answered = Object.values(r.byOutcome).reduce((a, b) => a + b, 0);
      const cpuUsPerRefusal = Math.round((cpu * 1e6) / Math.max(1, answered));
      refusalFloor = {
        cpuUsPerRefusal,
        answered,
        sentPerSecond: Math.round(r.achievedSendRate),
        goodputCeiling: r2(goodputCeiling(factor, capacity, cpuUsPerRefusal)),
      };
    } finally {
      await floor.stop();
    }
    progress(
      `  ${refusalFloor.cpuUsPerRefusal} us of CPU per refusal: at that cost a server keeps at most ${Math.round(refusalFloor.goodputCeiling * 100)}% of capacity at ${factor}x`,
    );
  }

  const share = num(values, 'front-door-share');
  const frontDoorRate = Math.round(capacity * share);
  const configurations: { name: string; env: Record<string, string> }[] = viaNginx
    ? [
        {
          name: 'nginx, no front-door limit, workers as shipped',
          env: { NGINX_INFLIGHT_LIMIT: '0' },
        },
        {
          name: `nginx limit_req on the whole host, ${frontDoorRate}/s (${share} x capacity)`,
          env: {
            NGINX_INFLIGHT_LIMIT: '0',
            NGINX_GLOBAL_RATE_LIMIT: String(frontDoorRate),
            NGINX_GLOBAL_RATE_BURST: String(Math.max(1, Math.round(frontDoorRate / 20))),
          },
        },
        { name: 'defaults (nginx in-flight limit as shipped)', env: {} },
        {
          name: `nginx in-flight limit sized at the knee (${knee.concurrency})`,
          env: { NGINX_INFLIGHT_LIMIT: String(knee.concurrency) },
        },
      ]
    : [
        { name: 'no admission control', env: admissionOff },
        { name: 'defaults', env: {} },
      ];
  if (extra.length > 0)
    configurations.push({
      name: extra.map((kv) => kv.join('=')).join(' '),
      env: Object.fromEntries(extra),
    });
  const only = opt('only');
  // --only picks among the built-in configurations; one asked for with --env always runs.
  const runs = configurations.filter(
    (c, i) =>
      !only || c.name.includes(only) || (extra.length > 0 && i === configurations.length - 1),
  );
  const targets = viaNginx ? OVERLOAD_TARGETS.stack : OVERLOAD_TARGETS.direct;

  const rows: OverloadRun['results'] = [];
  for (const conf of runs) {
    server = await start(conf.env);
    try {
      // Warm-up, discarded: JIT, sockets, pooled clients.
      await load(server.url, capacity / 4, 3);
      progress(`${conf.name}: unloaded (${Math.round(capacity / 4)}/s)...`);
      const unloaded = summarize(await load(server.url, capacity / 4, seconds), r2);
      progress(`${conf.name}: ${factor}x (${Math.round(capacity * factor)}/s)...`);
      const cpuBefore = server.pid ? processCpuSeconds(server.pid) : null;
      const flood = await load(server.url, capacity * factor, seconds);
      const overload = summarize(flood, r2);
      const cpuAfter = server.pid ? processCpuSeconds(server.pid) : null;
      // The server's CPU over the flood (until its last answer), and what a refusal cost it
      // beside searches at their capacity cost (searches cost more under a flood: an upper bound).
      const serverCpu =
        cpuBefore === null || cpuAfter === null
          ? null
          : (() => {
              const cpu = cpuAfter - cpuBefore;
              const searchCpu = overload.admitted / capacity;
              return {
                // Over vegeta's run, until its last answer (its report is read after, the server idle).
                busyShare: r2(cpu / flood.durationSeconds),
                refusalCpuUsEstimate:
                  overload.rejected > 0
                    ? Math.round(((cpu - searchCpu) * 1e6) / overload.rejected)
                    : null,
              };
            })();
      // Right after the flood, the unloaded rate again: how soon is p99 back?
      const after = await load(server.url, capacity / 4, 10);
      const bound = Math.max(1, 2 * unloaded.admittedMs.p99);
      const p99s = after.perSecondP99Ms;
      const back = p99s.findIndex((_, i) => p99s.slice(i).every((v) => v <= bound));
      const recovery = { seconds: back < 0 ? null : back, perSecondP99Ms: p99s.map(r2) };
      const goodput = r2(overload.admittedPerSecond / capacity);
      const ratio = r2(overload.admittedMs.p99 / Math.max(0.01, unloaded.admittedMs.p99));
      rows.push({
        configuration: conf.name,
        unloaded,
        overload,
        recovery,
        goodput,
        // Judged at the rate the generator sent: a server it could not flood is offered less.
        ...(refusalFloor
          ? (() => {
              const ceiling = goodputCeiling(
                overload.achievedSendRate / capacity,
                capacity,
                refusalFloor.cpuUsPerRefusal,
              );
              return {
                goodputCeilingAtSentRate: r2(ceiling),
                goodputOfCeiling: ceiling > 0 ? r2(goodput / ceiling) : null,
              };
            })()
          : {}),
        serverCpu,
        limitedBy: limitedBy(overload, num(values, 'max-connections'), serverCpu),
        admittedP99OverUnloadedP99: ratio,
        targets: {
          generatorOfferedTheLoad: overload.generator.trustworthy ?? false,
          goodputAtLeast: goodput >= targets.goodput,
          admittedP99WithinUnloadedTimes: ratio <= targets.admittedOverUnloaded,
          ...(targets.refusedP99Ms !== null
            ? {
                refusedP99Under:
                  overload.rejected === 0 || overload.rejectedMs.p99 < targets.refusedP99Ms,
              }
            : {}),
          everyRefusalWithRetryAfter:
            overload.rejected === 0 || overload.rejectedWithoutRetryAfter === 0,
          noErrors: Object.keys(overload.otherOutcomes).length === 0,
          unloadedP99BackWithin5s: recovery.seconds !== null && recovery.seconds <= 5,
        },
      });
      progress(
        `  goodput ${Math.round(goodput * 100)}% (${overload.admittedPerSecond} of ${capacity}/s), admitted p99 ${overload.admittedMs.p99} ms (${ratio}x unloaded), refused p99 ${overload.rejectedMs.p99} ms, sent ${overload.achievedSendRate}/s of ${Math.round(capacity * factor)}/s`,
      );
    } finally {
      await server.stop();
    }
  }
  if (!opt('data-dir')) rmSync(dataDir, { recursive: true, force: true });

  // The measured knee into the stack's settings: `CONFIG_FILE=<file> npm run stack:up` uses it.
  const sizedConfig = sizing && writeInflightBound(sizing.file, sizing.before, knee.concurrency);
  if (sizedConfig)
    progress(`wrote nginx_inflight_limit: ${knee.concurrency} (the knee) into ${sizedConfig.file}`);

  return {
    ...envelope(
      'overload',
      values,
      null,
      `${milvus ? 'milvus' : 'embedded'} at ${factor}x capacity${viaNginx ? ' via nginx' : ''}`,
    ),
    generator: 'vegeta v12.13.0 (compiled, open loop); capacity by wrk (closed loop)',
    notes: `${viaNginx ? 'nginx, PM2 workers' : 'One server process'}${serverCpus ? ` pinned to CPUs ${serverCpus}` : ''}, vegeta${opt('generator-cpus') ? ` pinned to CPUs ${opt('generator-cpus')}` : ''}. Latency from intended send time (ms); goodput = ok answers per second over the capacity measured in this run.`,
    via: viaNginx ? 'nginx -> PM2 cluster' : 'direct to one server process',
    backend: milvus ? `milvus at ${values['milvus-address']}` : 'embedded',
    dataset: milvus
      ? { collection: 'bench_pool_512', size: 20000, dimension: DIM }
      : { collection: 'products', size: num(values, 'size'), dimension: DIM },
    query: { topK: 10, ef: opt('ef') ? Number(opt('ef')) : 'collection default' },
    clientConnections: num(values, 'max-connections'),
    capacityPerSecond: capacity,
    capacitySweep: sweep,
    kneeConcurrency: knee.concurrency,
    sizedConfig,
    refusalFloor,
    overloadFactor: factor,
    secondsPerRun: seconds,
    targets: {
      goodputAtLeast: targets.goodput,
      admittedP99WithinUnloadedTimes: targets.admittedOverUnloaded,
      ...(targets.refusedP99Ms !== null ? { rejectedP99UnderMs: targets.refusedP99Ms } : {}),
    },
    results: rows,
  };
}

/**
 * A settings file's object ({} when it does not exist yet). One the server
 * would refuse to load (not JSON, not an object, an unknown or bad setting)
 * is a UsageError naming what is wrong.
 */
export function readSettingsFile(file: string): Record<string, unknown> {
  if (!existsSync(file)) return {};
  try {
    loadConfig({ env: {}, file });
  } catch (err) {
    throw new UsageError(`--write-config ${file}: ${(err as Error).message}`);
  }
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

/** Writes NGINX_INFLIGHT_LIMIT into a settings file, keeping every other setting in it. */
export function writeInflightBound(
  file: string,
  before: Record<string, unknown>,
  value: number,
): NonNullable<OverloadRun['sizedConfig']> {
  const setting = 'nginx_inflight_limit';
  writeFileSync(file, `${JSON.stringify({ ...before, [setting]: value }, null, 2)}\n`);
  return { file, setting, value };
}

/** Admitted (2xx) and refused (429/503) apart; latency from intended send times. */
function summarize(r: VegetaResult, r2: (v: number) => number) {
  const after = r.afterFirstSecond;
  const other = Object.entries(r.byOutcome).filter(
    ([k]) => !(k.startsWith('2') || k === '503' || k === '429'),
  );
  return {
    offered: r.intended,
    offeredPerSecond: Math.round(r.targetRate),
    achievedSendRate: Math.round(r.achievedSendRate),
    lateSends: r.late,
    droppedSends: r.dropped,
    admitted: r.latency.count,
    // Answered within the phase (a backlog answered after it is not that phase's goodput).
    admittedPerSecond: Math.round(r.okPerSecond),
    admittedMs: { p50: r2(r.latency.p50Ms), p99: r2(r.latency.p99Ms), max: r2(r.latency.maxMs) },
    rejected: r.refused.count,
    rejectedMs: { p50: r2(r.refused.p50Ms), p99: r2(r.refused.p99Ms), max: r2(r.refused.maxMs) },
    rejectedWithoutRetryAfter: r.refusedWithoutRetryAfter,
    otherOutcomes: Object.fromEntries(other),
    // The first second holds the start transient (cold code, the generator opening connections).
    afterFirstSecond: {
      admittedMs: { p50: r2(after.latency.p50Ms), p99: r2(after.latency.p99Ms) },
      rejectedMs: { p50: r2(after.refused.p50Ms), p99: r2(after.refused.p99Ms) },
    },
    generator: r.generator,
    // Which seconds held the tail: a stall (a pause, a neighbour, background work) shows as one.
    perSecondP99Ms: r.perSecondP99Ms.map((v) => r2(v)),
  };
}

/**
 * What stopped the flood from being what was asked: vegeta's own core, or
 * the server answering slower than it was sent to, so every one of the
 * client's connections was waiting on it (then latency from intended send
 * time holds vegeta's backlog: the server's slowness, not the generator's).
 */
function limitedBy(
  overload: ReturnType<typeof summarize>,
  connections: number,
  serverCpu: { busyShare: number } | null,
): string | null {
  if (overload.achievedSendRate >= 0.95 * overload.offeredPerSecond) return null;
  if (overload.generator.cpuPercent >= 90)
    return `the generator: vegeta at ${overload.generator.cpuPercent}% of its core sent ${overload.achievedSendRate}/s of ${overload.offeredPerSecond}/s`;
  return `the server: all ${connections} connections waited on answers (${overload.achievedSendRate}/s answered of ${overload.offeredPerSecond}/s asked; vegeta at ${overload.generator.cpuPercent}% of its core${serverCpu ? `, the server at ${Math.round(serverCpu.busyShare * 100)}% of its` : ''})`;
}
