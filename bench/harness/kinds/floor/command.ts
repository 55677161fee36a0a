import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../../../src/config/load-config.ts';
import { SETTINGS } from '../../../../src/config/settings.ts';
import { buildServer } from '../../../lib/prepare.ts';
import { searchBodies } from '../../../lib/query-bodies.ts';
import { type Command, num, str, UsageError } from '../../command-line.ts';
import { envelope } from '../../envelope.ts';
import { treeCpuSeconds } from '../../runners/process-cpu.ts';
import {
  describeConfig,
  type ServingConfig,
  type ServingContext,
  searchPath,
  standardConfigs,
  startServing,
} from '../../runners/serving-configs.ts';
import { runWrk, wrkBinary } from '../../runners/wrk.ts';
import type { FloorRow, FloorRun, FloorSummary, FloorTarget } from './result.ts';

const ROOT = resolve(import.meta.dirname, '../../../..');

/**
 * The serving path against its floor, in one run: the floor server (the least
 * a Node server can do for the same search), vecserve as one process and as
 * the PM2 cluster (workers x search threads x nice), and the Python stacks it
 * replaces, all on the same snapshot, under the same closed loop (wrk),
 * alternating in rounds. Figures: ok/s, CPU per request (every process of the
 * server, over ok answers), latency, the generator's CPU; then the issue's
 * targets judged from them.
 */
export const floorCommand: Command = {
  name: 'floor',
  summary:
    'vecserve (1 process, PM2 workers x threads) beside the floor server and FastAPI/Flask on the same search',
  defaultOut: () => 'bench/results/floor.json',
  options: {
    configs: {
      type: 'string',
      default: 'all',
      help: `configurations, comma-separated (all: ${standardConfigs()
        .map((c) => c.name)
        .join(', ')})`,
    },
    baseline: {
      type: 'string',
      help: 'a checkout of an earlier commit: adds it (1 process, run as its npm start ran) to compare',
    },
    variant: {
      type: 'string',
      multiple: true,
      help: 'one more vecserve configuration, repeatable: NAME:ENV=VALUE[,ENV=VALUE...] (WORKERS=2: a PM2 cluster), run in the same rounds and judged against the floor',
    },
    rounds: { type: 'string', default: '2', help: 'alternate the configurations this many times' },
    seconds: {
      type: 'string',
      default: '15',
      help: 'measured seconds per configuration and round',
    },
    warmup: { type: 'string', default: '5', help: 'seconds of load before each measurement' },
    connections: { type: 'string', default: '50', help: 'closed-loop connections' },
    'wrk-threads': { type: 'string', default: '1', help: "wrk's threads" },
    'c1-seconds': {
      type: 'string',
      default: '10',
      help: 'seconds of one connection (latency unloaded) for the floor, the default vecserve and the baseline (0: none)',
    },
    'work-dir': {
      type: 'string',
      default: '.data/bench-floor',
      help: 'the demo data and PM2 home',
    },
    port: { type: 'string', default: '18500', help: 'port of the server under test' },
  },
  async run(values, progress): Promise<FloorRun> {
    wrkBinary();
    const rounds = num(values, 'rounds');
    const seconds = num(values, 'seconds');
    const warmup = num(values, 'warmup');
    const connections = num(values, 'connections');
    const wrkThreads = num(values, 'wrk-threads');
    const c1Seconds = num(values, 'c1-seconds');
    const configs = selectConfigs(str(values, 'configs'), values.baseline as string | undefined);
    for (const spec of (values.variant as string[] | undefined) ?? []) {
      const variant = parseVariant(spec);
      if (configs.some((c) => c.name === variant.name))
        throw new UsageError(
          `--variant ${spec}: a configuration is already called "${variant.name}"`,
        );
      configs.push(variant);
    }
    const workDir = resolve(str(values, 'work-dir'));
    const ctx: ServingContext = {
      root: ROOT,
      dataDir: join(workDir, 'data'),
      collection: 'products',
      port: num(values, 'port'),
      workDir,
    };
    buildServer({ verbose: true });
    const bodies = searchBodies(1000, 512);
    await ensureDemo(ctx, bodies[0]!, progress);

    const rows: FloorRow[] = [];
    const latencyAtC1: FloorRun['latencyAtC1'] = [];
    const reference = new Map<number, string[]>(); // query -> the floor's ids
    const sameAnswers = new Map<string, boolean>();
    const probes = [0, 1, 2, 3, 4];
    for (let round = 1; round <= rounds; round++) {
      for (const config of configs) {
        progress(`round ${round}/${rounds}: ${config.name}`);
        const server = await startServing(config, ctx, bodies[0]!);
        try {
          if (!sameAnswers.has(config.name)) {
            const answers = await Promise.all(
              probes.map((i) => idsOf(server.url, ctx, bodies[i]!)),
            );
            if (config.kind === 'floor')
              for (const [i, a] of answers.entries()) reference.set(i, a);
            sameAnswers.set(
              config.name,
              reference.size === 0 ||
                answers.every((a, i) => JSON.stringify(a) === JSON.stringify(reference.get(i))),
            );
          }
          const load = { url: server.url, path: searchPath(ctx), bodies, threads: wrkThreads };
          await runWrk({ ...load, connections, seconds: warmup });
          const pids = server.pids();
          const cpu0 = treeCpuSeconds(pids);
          const w = await runWrk({ ...load, connections, seconds });
          const cpu = treeCpuSeconds(pids) - cpu0;
          const row: FloorRow = {
            config: config.name,
            round,
            processes: pids.length,
            okPerSecond: Math.round(w.okPerSecond),
            cpuMsPerRequest: w.ok > 0 ? Math.round((cpu / w.ok) * 1e6) / 1000 : null,
            serverCpuPercent: Math.round((cpu / w.seconds) * 100),
            generatorCpuPercent: w.generatorCpuPercent,
            p50Ms: w.latencyMs.p50,
            p99Ms: w.latencyMs.p99,
            non2xx: w.non2xx,
            socketErrors: w.socketErrors,
          };
          rows.push(row);
          progress(
            `  ${row.okPerSecond} ok/s, ${row.cpuMsPerRequest} ms CPU per request (server ${row.serverCpuPercent}%, wrk ${row.generatorCpuPercent}%), p99 ${row.p99Ms} ms`,
          );
          if (c1Seconds > 0 && isUnloadedProbe(config)) {
            const one = await runWrk({ ...load, threads: 1, connections: 1, seconds: c1Seconds });
            latencyAtC1.push({
              config: config.name,
              round,
              okPerSecond: Math.round(one.okPerSecond),
              p50Ms: one.latencyMs.p50,
              p99Ms: one.latencyMs.p99,
              meanMs: one.latencyMs.mean,
            });
          }
        } finally {
          await server.stop();
        }
      }
    }
    const summary = summarize(configs, rows, sameAnswers);
    const run: FloorRun = {
      ...envelope(
        'floor',
        values,
        null,
        `the serving path against its floor, demo ${ctx.collection} (10k x 512, HNSW M 16, ef 64)`,
      ),
      generator: `wrk ${wrkThreads} thread(s), ${connections} connections, closed loop`,
      connections,
      seconds,
      warmupSeconds: warmup,
      rounds,
      rows,
      summary,
      latencyAtC1,
      targets: judgeTargets(summary, latencyAtC1),
    };
    const busy = rows.filter((r) => r.generatorCpuPercent > 90 * wrkThreads);
    if (busy.length > 0)
      run.warnings.push(
        `wrk used over 90% of its cores in ${busy.length} measurements: raise --wrk-threads`,
      );
    if ([...sameAnswers].some(([, same]) => !same))
      run.warnings.push(
        `answers differ from the floor's for: ${[...sameAnswers]
          .filter(([, s]) => !s)
          .map(([n]) => n)
          .join(', ')}`,
      );
    return run;
  },
};

function selectConfigs(list: string, baseline: string | undefined): ServingConfig[] {
  const all = standardConfigs();
  let picked: ServingConfig[];
  if (list === 'all') picked = all;
  else {
    picked = list.split(',').map((name) => {
      const found = all.find((c) => c.name === name.trim());
      if (!found)
        throw new UsageError(
          `--configs: unknown configuration "${name}"; known: ${all.map((c) => c.name).join(', ')}`,
        );
      return found;
    });
    // The floor is what every figure is judged against.
    if (!picked.some((c) => c.kind === 'floor')) picked.unshift(all[0]!);
  }
  if (baseline !== undefined) {
    if (!existsSync(join(baseline, 'src/cli/serve.ts')))
      throw new UsageError(
        `--baseline ${baseline} is not a vecserve checkout (no src/cli/serve.ts)`,
      );
    picked.push({ name: 'baseline-1p', kind: 'baseline', checkout: resolve(baseline) });
  }
  return picked;
}

/**
 * `NAME:ENV=VALUE[,ENV=VALUE...]`: vecserve with those settings (WORKERS > 1:
 * under PM2). Each one must be a setting the server would take, or the run
 * would measure a server that refused to start.
 */
export function parseVariant(spec: string): ServingConfig {
  const colon = spec.indexOf(':');
  const name = colon < 0 ? spec : spec.slice(0, colon);
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/i.test(name))
    throw new UsageError(
      `--variant ${spec}: NAME:ENV=VALUE[,ENV=VALUE...], the name in letters, digits, '.', '_' or '-'`,
    );
  const env: Record<string, string> = {};
  for (const kv of colon < 0 ? [] : spec.slice(colon + 1).split(',')) {
    const eq = kv.indexOf('=');
    const key = eq < 0 ? kv : kv.slice(0, eq);
    if (eq < 0 || !SETTINGS.some((s) => s.env === key))
      throw new UsageError(
        `--variant ${spec}: "${kv}" is not ENV=VALUE of a setting (see docs/configuration.md)`,
      );
    env[key] = kv.slice(eq + 1);
  }
  if (Object.keys(env).length === 0)
    throw new UsageError(
      `--variant ${spec}: name at least one setting, e.g. ${name}:SEARCH_THREADS=0`,
    );
  try {
    loadConfig({ env });
  } catch (err) {
    throw new UsageError(`--variant ${spec}: ${(err as Error).message}`);
  }
  const workers = Number(env.WORKERS ?? 1);
  return { name, kind: 'vecserve', workers, threads: null, nice: null, env };
}

/** The configurations whose unloaded latency (one connection) is recorded. */
function isUnloadedProbe(c: ServingConfig): boolean {
  return (
    c.kind === 'floor' ||
    c.kind === 'baseline' ||
    c.name === 'vecserve-1p-default' ||
    (c.kind === 'vecserve' && c.env !== undefined)
  );
}

/** The demo collection every server reads, built by vecserve's own first start. */
async function ensureDemo(
  ctx: ServingContext,
  probe: string,
  progress: (m: string) => void,
): Promise<void> {
  if (existsSync(join(ctx.dataDir, 'collections', ctx.collection, 'CURRENT'))) return;
  progress(`building the demo collection in ${ctx.dataDir}`);
  const server = await startServing(
    { name: 'prepare', kind: 'vecserve', workers: 1, threads: null, nice: null },
    ctx,
    probe,
  );
  await server.stop();
}

async function idsOf(url: string, ctx: ServingContext, body: string): Promise<string[]> {
  const res = await fetch(`${url}${searchPath(ctx)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  const json = (await res.json()) as { hits?: { id: string }[] };
  return (json.hits ?? []).map((h) => h.id);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function summarize(
  configs: ServingConfig[],
  rows: FloorRow[],
  sameAnswers: Map<string, boolean>,
): FloorSummary[] {
  const of = (name: string) => rows.filter((r) => r.config === name);
  const floor = of('floor');
  const floorOk = median(floor.map((r) => r.okPerSecond));
  const floorCpu = median(floor.map((r) => r.cpuMsPerRequest ?? Number.NaN));
  return configs.map((c) => {
    const mine = of(c.name);
    const ok = mine.map((r) => r.okPerSecond);
    const cpu = median(mine.map((r) => r.cpuMsPerRequest ?? Number.NaN));
    return {
      config: c.name,
      describe: describeConfig(c),
      okPerSecond: Math.round(median(ok)),
      okPerSecondRange: [Math.min(...ok), Math.max(...ok)],
      cpuMsPerRequest: Math.round(cpu * 1000) / 1000,
      okOverFloor: Math.round((median(ok) / floorOk) * 100) / 100,
      cpuOverFloor: Math.round((cpu / floorCpu) * 100) / 100,
      p99Ms: median(mine.map((r) => r.p99Ms)),
      sameAnswersAsFloor: sameAnswers.get(c.name) ?? false,
    };
  });
}

/** The targets, judged where the run has the configurations they compare. */
export function judgeTargets(summary: FloorSummary[], c1: FloorRun['latencyAtC1']): FloorTarget[] {
  const get = (name: string) => summary.find((s) => s.config === name);
  const out: FloorTarget[] = [];
  const floor = get('floor');
  const t0 = get('vecserve-1p-t0');
  if (floor && t0)
    out.push({
      target:
        'CPU per request of vecserve (1 process, search on the event loop) <= 1.25x the floor',
      pass: t0.cpuOverFloor <= 1.25,
      measured: `${t0.cpuOverFloor}x (${t0.cpuMsPerRequest} vs ${floor.cpuMsPerRequest} ms)`,
    });
  for (const w of ['1p', '2w']) {
    const def = get(`vecserve-${w}-default`);
    const zero = get(`vecserve-${w}-t0`);
    if (def && zero)
      out.push({
        target: `shipped defaults serve no less than SEARCH_THREADS=0 (${w === '1p' ? '1 process' : '2 PM2 workers'})`,
        // Within the round-to-round spread: the default may be the very same settings.
        pass: def.okPerSecond >= zero.okPerSecondRange[0],
        measured: `${def.okPerSecond} vs ${zero.okPerSecond} ok/s (SEARCH_THREADS=0 ranged ${zero.okPerSecondRange.join('-')})`,
      });
  }
  const cluster = get('vecserve-2w-default');
  if (cluster && floor)
    out.push({
      target: "PM2 cluster, 2 workers, shipped defaults >= 1.5x the floor's one process",
      pass: cluster.okPerSecond >= 1.5 * floor.okPerSecond,
      measured: `${Math.round((cluster.okPerSecond / floor.okPerSecond) * 100) / 100}x (${cluster.okPerSecond} vs ${floor.okPerSecond} ok/s)`,
    });
  const fastapi = get('fastapi-2w');
  if (cluster && fastapi) {
    // Against FastAPI's best round: uvicorn's accept loop sometimes hands every
    // connection to one worker, a round that would flatter the comparison.
    const best = Math.max(...fastapi.okPerSecondRange);
    out.push({
      target: 'PM2 cluster, 2 workers, shipped defaults >= 1.6x FastAPI + uvicorn with 2 workers',
      pass: cluster.okPerSecond >= 1.6 * best,
      measured: `${Math.round((cluster.okPerSecond / best) * 100) / 100}x (${cluster.okPerSecond} vs FastAPI's best round ${best} ok/s; median ${fastapi.okPerSecond})`,
    });
  }
  const c1Of = (name: string) => c1.filter((r) => r.config === name);
  const now = c1Of('vecserve-1p-default');
  const before = c1Of('baseline-1p');
  if (now.length > 0 && before.length > 0) {
    const p50 = median(now.map((r) => r.p50Ms));
    const p50Before = median(before.map((r) => r.p50Ms));
    out.push({
      target: 'c=1 latency no worse than the baseline checkout',
      pass: p50 <= p50Before * 1.05,
      measured: `p50 ${p50} vs ${p50Before} ms, p99 ${median(now.map((r) => r.p99Ms))} vs ${median(before.map((r) => r.p99Ms))} ms`,
    });
  }
  return out;
}
