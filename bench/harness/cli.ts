/**
 * The bench harness: `npm run bench -- <command> [options]`.
 *
 *   sweep   closed-loop concurrency sweep (autocannon), Little's law, knee, USL, recall
 *   rate    open-loop run at a target arrival rate (constant, --stages, --ramp)
 *   slo     the highest rate meeting a rule (p99<100ms,errors<0.1%); --require R gates CI
 *   mix     weighted scenarios (search 10 : filtered 3 : batch 1), open loop
 *   recall  recall@k vs QPS over ef
 *   plan    machines for a target QPS from a measured slo/sweep result
 *   report  HTML (self-contained, charts) + terminal tables of one or more result files
 *   threads the default embedded server swept with SEARCH_THREADS=0 and 1, alternating (search off the event loop)
 *   batching the embedded demo server with BATCH off/on and queries as JSON floats/vectorBase64, alternating
 *   scale   the embedded store at scale (default 1M x 512): build, restart, memory per
 *           worker, recall vs ef and HTTP QPS/p99 per quantization (writes bench/results/scale-*.json)
 *
 * Every command takes --target URL (default http://127.0.0.1:8000) and --out FILE
 * (JSON; a CSV is written next to it).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Quantization } from '../../src/core/types.ts';
import { environment } from '../lib/environment.ts';
import { heldOutVectors } from '../lib/query-bodies.ts';
import { findKnee } from './analysis/knee.ts';
import { plan } from './analysis/plan.ts';
import { judge, parseSlo } from './analysis/slo-rule.ts';
import { formatThresholds, judgeThresholds } from './analysis/thresholds.ts';
import { fitUsl } from './analysis/usl.ts';
import { renderHtml, sweepCharts } from './report/html.ts';
import { startLiveView } from './report/live-view.ts';
import { printRun } from './report/terminal.ts';
import { writeRun } from './report/write.ts';
import type {
  AnyRun,
  MixRun,
  PlanRun,
  RateRun,
  RecallRun,
  RunEnvelope,
  SloRun,
  SweepRun,
  UsersRun,
} from './result.ts';
import { sloView } from './runners/latency.ts';
import { type OpenLoopResult, openLoop, type Stage } from './runners/open-loop.ts';
import { demoGroundTruth, measureRecall } from './runners/recall-run.ts';
import { runScale } from './runners/scale.ts';
import { runMilvusScale } from './runners/scale-milvus.ts';
import { runLevel, sweep } from './runners/sweep.ts';
import { buildQueries, describeTarget, type Scenario, type TargetInfo } from './runners/target.ts';
import { compareSearchThreads } from './runners/threads-compare.ts';
import type { SecondFigures } from './runners/time-series.ts';
import { runUsers } from './runners/users.ts';

export class UsageError extends Error {}

const OPTIONS = {
  target: { type: 'string', default: 'http://127.0.0.1:8000' },
  collection: { type: 'string', default: 'products' },
  out: { type: 'string' },
  label: { type: 'string' },
  levels: { type: 'string', default: '1,5,10,20,50,100' },
  duration: { type: 'string' },
  warmup: { type: 'string', default: '2' },
  rate: { type: 'string' },
  stages: { type: 'string' },
  ramp: { type: 'string' },
  scenario: { type: 'string', default: 'search' },
  connections: { type: 'string', default: '256' },
  rule: { type: 'string', default: 'p99<100ms,errors<0.1%' },
  start: { type: 'string', default: '100' },
  max: { type: 'string', default: '100000' },
  iterations: { type: 'string', default: '8' },
  require: { type: 'string' },
  weights: { type: 'string', default: 'search=10,filtered=3,batch=1' },
  'batch-size': { type: 'string', default: '10' },
  ef: { type: 'string', default: '16,32,64,128,256' },
  k: { type: 'string', default: '10' },
  queries: { type: 'string', default: '100' },
  concurrency: { type: 'string', default: '10' },
  from: { type: 'string' },
  'peak-qps': { type: 'string', default: '5000' },
  'average-qps': { type: 'string', default: '1000' },
  utilisation: { type: 'string', default: '0.8' },
  in: { type: 'string', multiple: true },
  'no-recall': { type: 'boolean', default: false },
  charts: { type: 'string' },
  quiet: { type: 'boolean', default: false },
  rows: { type: 'string', default: '1000000' },
  dimension: { type: 'string', default: '512' },
  quantizations: { type: 'string', default: 'f32,f16,i8' },
  port: { type: 'string', default: '18431' },
  'work-dir': { type: 'string', default: '.data/bench-scale' },
  'level-seconds': { type: 'string', default: '10' },
  backend: { type: 'string', default: 'embedded' },
  'search-threads': { type: 'string', default: '0,1' },
  rounds: { type: 'string', default: '2' },
  // k6 style, repeatable: --threshold 'p99<100ms' --threshold 'errors<0.1%'
  threshold: { type: 'string', multiple: true },
  // A live page of the run's per-second figures on loopback (rate, mix).
  ui: { type: 'boolean', default: false },
  // users: Locust's model (virtual users with think time).
  users: { type: 'string', default: '10' },
  spawn: { type: 'string', default: '1' },
  wait: { type: 'string', default: '0.1-0.5' },
  'ui-port': { type: 'string', default: '0' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Values = ReturnType<
  typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>
>['values'];

function num(values: Values, key: keyof Values, fallback?: number): number {
  const raw = values[key];
  const v = raw === undefined ? fallback : Number(raw);
  if (v === undefined || !Number.isFinite(v))
    throw new UsageError(`--${String(key)} must be a number, got ${String(raw)}`);
  return v;
}

function list(raw: string, what: string): number[] {
  const out = raw.split(',').map((s) => Number(s.trim()));
  if (out.length === 0 || out.some((n) => !Number.isFinite(n) || n <= 0)) {
    throw new UsageError(
      `${what} must be a comma-separated list of positive numbers, got "${raw}"`,
    );
  }
  return out;
}

function versions(): Record<string, string> {
  const require = createRequire(import.meta.url);
  const out: Record<string, string> = {};
  for (const name of [
    'hono',
    '@hono/node-server',
    'usearch',
    '@zilliz/milvus2-sdk-node',
    'autocannon',
    'undici',
    'hdr-histogram-js',
  ]) {
    try {
      out[name] = require(`${name}/package.json`).version;
    } catch {
      out[name] = 'unknown';
    }
  }
  return out;
}

function envelope<K extends AnyRun['kind']>(
  kind: K,
  values: Values,
  target: TargetInfo | null,
): RunEnvelope & { kind: K } {
  return {
    schema: 'vecserve-bench/1',
    kind,
    // Unlabelled: say what was measured, not only when.
    label:
      values.label ??
      (target
        ? `${kind} of ${target.collection} (${target.count} x ${target.dimension}, ${target.backend}) at ${new Date().toISOString().slice(0, 16)}`
        : `${kind} at ${new Date().toISOString().slice(0, 16)}`),
    createdAt: new Date().toISOString(),
    environment: { ...environment(), versions: versions() },
    target,
    config: Object.fromEntries(Object.entries(values).filter(([k]) => k !== 'in')),
    warnings: [],
  };
}

const progress = (values: Values) => (m: string) => {
  if (!values.quiet) process.stderr.write(`  ${m}\n`);
};

function stagesOf(values: Values, defaultSeconds: number): Stage[] {
  if (values.stages) {
    return values.stages.split(',').map((s) => {
      const m = /^([\d.]+):([\d.]+)s?$/.exec(s.trim());
      if (!m)
        throw new UsageError(
          `--stages items look like RATE:SECONDS (e.g. 100:10,200:10), got "${s}"`,
        );
      return { rate: Number(m[1]), seconds: Number(m[2]) };
    });
  }
  if (values.ramp) {
    const m = /^([\d.]+)-([\d.]+):([\d.]+)s?$/.exec(values.ramp.trim());
    if (!m)
      throw new UsageError(
        `--ramp looks like FROM-TO:SECONDS (e.g. 100-1000:30), got "${values.ramp}"`,
      );
    return [{ from: Number(m[1]), to: Number(m[2]), seconds: Number(m[3]) }];
  }
  if (!values.rate) throw new UsageError('give --rate N (with --duration S), --stages or --ramp');
  return [{ rate: num(values, 'rate'), seconds: num(values, 'duration', defaultSeconds) }];
}

function openLoopWarnings(r: OpenLoopResult): string[] {
  return r.generator.trustworthy ? [] : r.generator.reasons.map((x) => `load generator: ${x}`);
}

async function cmdSweep(values: Values): Promise<SweepRun> {
  const target = await describeTarget(values.target!, values.collection!);
  const queries = buildQueries(target);
  const levels = await sweep({
    url: target.url,
    path: queries.path.search,
    bodies: queries.bodies.search,
    levels: list(values.levels!, '--levels'),
    durationSeconds: num(values, 'duration', 10),
    warmupSeconds: num(values, 'warmup'),
    onProgress: progress(values),
  });
  // A level that failed more than 1% of its requests measured refusals or errors, not
  // capacity: it is left out of the knee and USL fits, and the run says why.
  const failing = levels.filter((l) => l.failureRate > 0.01);
  const points = levels
    .filter((l) => l.failureRate <= 0.01)
    .map((l) => ({
      concurrency: l.concurrency,
      qps: l.qps,
      p95Ms: l.latency.p95Ms,
    }));
  const knee = findKnee(points);
  const run: SweepRun = {
    ...envelope('sweep', values, target),
    levels,
    analysis: {
      knee,
      usl: fitUsl(points),
      bestConcurrency: knee.bestByQpsOverP95,
      peakMeasuredQps: Math.max(0, ...levels.map((l) => l.qps)),
      untrustworthyLevels: levels.filter((l) => !l.generator.trustworthy).map((l) => l.concurrency),
      littlesLawFlagged: levels.filter((l) => l.littlesLaw.flagged).map((l) => l.concurrency),
    },
    recall: null,
  };
  for (const l of failing)
    run.warnings.push(
      `c=${l.concurrency}: ${(l.failureRate * 100).toFixed(1)}% of requests failed (${JSON.stringify(l.errors.byStatus)}; timeouts ${l.errors.timeouts}, connection errors ${l.errors.connectionErrors}): the server refused or failed them, so this level is left out of the knee and USL fits`,
    );
  for (const l of levels) {
    if (!l.generator.trustworthy)
      run.warnings.push(`c=${l.concurrency}: ${l.generator.reasons.join('; ')}`);
    if (l.littlesLaw.flagged)
      run.warnings.push(
        `c=${l.concurrency}: Little's law off by ${(l.littlesLaw.relativeDifference * 100).toFixed(1)}%: ${l.littlesLaw.explanation}`,
      );
  }
  if (!values['no-recall']) run.recall = await recallProbe(target, values, run.warnings);
  return run;
}

async function recallProbe(target: TargetInfo, values: Values, warnings: string[]) {
  const k = num(values, 'k');
  const count = num(values, 'queries');
  try {
    const qs = heldOutVectors(count, target.dimension);
    const truth = demoGroundTruth(target, qs, k);
    return { k, recall: await measureRecall(target, qs, truth, k), queries: count };
  } catch (err) {
    warnings.push(`recall not measured: ${(err as Error).message}`);
    return null;
  }
}

/**
 * Runs an open-loop measurement, with the live view when --ui is given: the
 * page's URL is printed before the first request, every second is pushed to
 * it, and the end (totals, bottlenecks) before it closes.
 */
async function withLiveView(
  values: Values,
  title: string,
  measure: (onSecond?: (row: SecondFigures) => void) => Promise<OpenLoopResult>,
): Promise<OpenLoopResult> {
  if (!values.ui) return measure();
  const view = await startLiveView({ port: num(values, 'ui-port'), title });
  process.stdout.write(`live view: ${view.url}\n`);
  try {
    const result = await measure((row) => view.second(row));
    view.done({
      sent: result.sent,
      ok: result.latency.count,
      errors: result.intended - result.latency.count,
      p99Ms: result.latency.p99Ms,
      bottlenecks: result.bottlenecks,
    });
    return result;
  } finally {
    await view.close();
  }
}

async function cmdUsers(values: Values): Promise<UsersRun> {
  const target = await describeTarget(values.target!, values.collection!);
  const queries = buildQueries(target, { batchSize: num(values, 'batch-size') });
  const scenario = values.scenario as Scenario;
  if (!['search', 'filtered', 'batch'].includes(scenario))
    throw new UsageError('--scenario is search, filtered or batch');
  const m = /^([\d.]+)(?:-([\d.]+))?$/.exec(values.wait!);
  if (!m)
    throw new UsageError(`--wait looks like 0.5-1.5 (seconds, uniform) or 1, got "${values.wait}"`);
  const waitSeconds: [number, number] = [Number(m[1]), Number(m[2] ?? m[1])];
  const users = num(values, 'users');
  const bodies = queries.bodies[scenario];
  const result = await withLiveView(
    values,
    `users: ${values.label ?? `${users} users`}`,
    (onSecond) =>
      runUsers({
        url: target.url,
        users,
        spawnSeconds: num(values, 'spawn'),
        seconds: num(values, 'duration', 10),
        waitSeconds,
        request: (i) => ({ path: queries.path[scenario], body: bodies[i % bodies.length]! }),
        onSecond,
      }),
  );
  const run: UsersRun = { ...envelope('users', values, target), users, waitSeconds, result };
  if (!values['no-recall']) run.recall = await recallProbe(target, values, run.warnings);
  return run;
}

async function cmdRate(values: Values): Promise<RateRun> {
  const target = await describeTarget(values.target!, values.collection!);
  const queries = buildQueries(target, { batchSize: num(values, 'batch-size') });
  const scenario = values.scenario as Scenario;
  if (!['search', 'filtered', 'batch'].includes(scenario))
    throw new UsageError('--scenario is search, filtered or batch');
  const stages = stagesOf(values, 10);
  const bodies = queries.bodies[scenario];
  const result = await withLiveView(values, `rate: ${values.label ?? scenario}`, (onSecond) =>
    openLoop({
      url: target.url,
      stages,
      connections: num(values, 'connections'),
      request: (i) => ({
        path: queries.path[scenario],
        body: bodies[i % bodies.length]!,
        scenario,
      }),
      onProgress: progress(values),
      onSecond,
    }),
  );
  const run: RateRun = { ...envelope('rate', values, target), stages, result };
  run.warnings.push(...openLoopWarnings(result));
  if (!values['no-recall']) run.recall = await recallProbe(target, values, run.warnings);
  return run;
}

async function cmdSlo(values: Values): Promise<SloRun> {
  const target = await describeTarget(values.target!, values.collection!);
  const rule = parseSlo(values.rule!);
  const queries = buildQueries(target);
  const seconds = num(values, 'duration', 5);
  const bodies = queries.bodies.search;
  const steps: SloRun['steps'] = [];
  const tryRate = async (rate: number) => {
    const rounded = Math.max(1, Math.round(rate));
    const known = steps.find((s) => s.rate === rounded);
    if (known) return known.pass;
    progress(values)(`rate ${rounded}/s for ${seconds} s...`);
    const result = await openLoop({
      url: target.url,
      stages: [{ rate: rounded, seconds }],
      connections: num(values, 'connections'),
      request: (i) => ({
        path: queries.path.search,
        body: bodies[i % bodies.length]!,
        scenario: 'search',
      }),
    });
    const verdict = judge(rule, sloView(result.latency, result.errorRate));
    const pass = verdict.pass && result.generator.trustworthy;
    steps.push({ rate: rounded, pass, verdict, result });
    progress(values)(
      `rate ${rounded}/s: ${pass ? 'pass' : 'fail'} (p99 ${result.latency.p99Ms} ms, errors ${(result.errorRate * 100).toFixed(3)}%${result.generator.trustworthy ? '' : ', generator saturated'})`,
    );
    return pass;
  };
  // Double until a rate fails, then bisect between the last pass and the first failure.
  let lo = 0;
  let hi = 0;
  let rate = num(values, 'start');
  const max = num(values, 'max');
  const iterations = num(values, 'iterations');
  let i = 0;
  while (i++ < iterations && rate <= max) {
    if (await tryRate(rate)) {
      lo = rate;
      rate *= 2;
    } else {
      hi = rate;
      break;
    }
  }
  while (hi > 0 && i++ < iterations && hi - lo > Math.max(1, lo * 0.05)) {
    const mid = (lo + hi) / 2;
    if (await tryRate(mid)) lo = mid;
    else hi = mid;
  }
  const passing = steps.filter((s) => s.pass).map((s) => s.rate);
  const run: SloRun = {
    ...envelope('slo', values, target),
    rule: values.rule!,
    steps,
    maxPassingRate: passing.length ? Math.max(...passing) : null,
    required: null,
  };
  if (values.require) {
    const required = num(values, 'require');
    run.required = { rate: required, pass: await tryRate(required) };
  }
  for (const s of steps)
    run.warnings.push(...openLoopWarnings(s.result).map((w) => `rate ${s.rate}: ${w}`));
  if (!values['no-recall']) run.recall = await recallProbe(target, values, run.warnings);
  return run;
}

async function cmdMix(values: Values): Promise<MixRun> {
  const target = await describeTarget(values.target!, values.collection!);
  const batchSize = num(values, 'batch-size');
  const queries = buildQueries(target, { batchSize });
  const weights: Record<string, number> = {};
  for (const part of values.weights!.split(',')) {
    const [name, w] = part.split('=');
    if (!name || !['search', 'filtered', 'batch'].includes(name.trim()) || !(Number(w) >= 0)) {
      throw new UsageError(
        `--weights looks like search=10,filtered=3,batch=1, got "${values.weights}"`,
      );
    }
    weights[name.trim()] = Number(w);
  }
  // A deterministic weighted sequence: scenario of request i cycles through the weights.
  const cycle: Scenario[] = [];
  for (const [name, w] of Object.entries(weights))
    for (let j = 0; j < w; j++) cycle.push(name as Scenario);
  if (cycle.length === 0) throw new UsageError('--weights are all zero');
  const stages =
    values.rate || values.stages || values.ramp
      ? stagesOf(values, 10)
      : [{ rate: 200, seconds: num(values, 'duration', 10) }];
  const result = await withLiveView(values, `mix: ${values.label ?? values.weights}`, (onSecond) =>
    openLoop({
      url: target.url,
      stages,
      connections: num(values, 'connections'),
      request: (i) => {
        const scenario = cycle[(i * 7919) % cycle.length]!; // spread each kind over the run
        const bodies = queries.bodies[scenario];
        return { path: queries.path[scenario], body: bodies[i % bodies.length]!, scenario };
      },
      onProgress: progress(values),
      onSecond,
    }),
  );
  const seconds = result.durationSeconds;
  const vectors =
    (result.scenarios.search?.ok ?? 0) +
    (result.scenarios.filtered?.ok ?? 0) +
    (result.scenarios.batch?.ok ?? 0) * batchSize;
  const run: MixRun = {
    ...envelope('mix', values, target),
    weights,
    result,
    vectorsPerSecond: vectors / seconds,
  };
  run.warnings.push(...openLoopWarnings(result));
  if (!values['no-recall']) run.recall = await recallProbe(target, values, run.warnings);
  return run;
}

async function cmdRecall(values: Values): Promise<RecallRun> {
  const target = await describeTarget(values.target!, values.collection!);
  const k = num(values, 'k');
  const count = num(values, 'queries');
  const concurrency = num(values, 'concurrency');
  const seconds = num(values, 'duration', 3);
  const qs = heldOutVectors(count, target.dimension);
  progress(values)(
    `ground truth: exact ${k}-NN of ${count} queries over ${target.count} vectors...`,
  );
  const truth = demoGroundTruth(target, qs, k);
  const run: RecallRun = { ...envelope('recall', values, target), k, queries: count, points: [] };
  for (const ef of list(values.ef!, '--ef')) {
    const recall = await measureRecall(target, qs, truth, k, ef);
    const queries = buildQueries(target, { ef, topK: k });
    const level = await runLevel(
      {
        url: target.url,
        path: queries.path.search,
        bodies: queries.bodies.search,
        levels: [],
        durationSeconds: seconds,
        warmupSeconds: 0,
      },
      concurrency,
      seconds,
    );
    progress(values)(
      `ef ${ef}: recall@${k} ${recall.toFixed(4)}, ${Math.round(level.qps)} QPS at c=${concurrency}`,
    );
    run.points.push({ ef, recall, qps: level.qps, p99Ms: level.latency.p99Ms, concurrency });
    if (!level.generator.trustworthy)
      run.warnings.push(`ef ${ef}: ${level.generator.reasons.join('; ')}`);
  }
  return run;
}

function cmdPlan(values: Values): PlanRun {
  if (!values.from) throw new UsageError('plan needs --from FILE: a result of `slo` (or `sweep`)');
  const source = JSON.parse(readFileSync(values.from, 'utf8')) as AnyRun;
  let input: PlanRun['input'];
  if (source.kind === 'slo') {
    const best = source.steps.filter((s) => s.pass).sort((a, b) => b.rate - a.rate)[0];
    if (!best) throw new UsageError(`${values.from}: no rate passed the SLO (${source.rule})`);
    input = {
      source: `slo ${values.from} (${source.rule})`,
      sloQpsPerMachine: best.result.okPerSecond,
      meanLatencyMsAtSlo: best.result.latency.meanMs,
      p99MsAtSlo: best.result.latency.p99Ms,
      peakQps: num(values, 'peak-qps'),
      averageQps: num(values, 'average-qps'),
      utilisation: num(values, 'utilisation'),
    };
  } else if (source.kind === 'sweep') {
    const rule = parseSlo(values.rule!);
    const ok = source.levels
      .filter((l) => judge(rule, sloView(l.latency, l.failureRate)).pass)
      .sort((a, b) => b.qps - a.qps)[0];
    if (!ok) throw new UsageError(`${values.from}: no level met ${values.rule}`);
    input = {
      source: `sweep ${values.from}, best level within ${values.rule} (closed loop: optimistic)`,
      sloQpsPerMachine: ok.qps,
      meanLatencyMsAtSlo: ok.latency.meanMs,
      p99MsAtSlo: ok.latency.p99Ms,
      peakQps: num(values, 'peak-qps'),
      averageQps: num(values, 'average-qps'),
      utilisation: num(values, 'utilisation'),
    };
  } else {
    throw new UsageError(
      `${values.from} is a ${source.kind} result; plan reads slo or sweep results`,
    );
  }
  const run: PlanRun = { ...envelope('plan', values, source.target), input, plan: plan(input) };
  run.warnings.push(...source.warnings.map((w) => `source: ${w}`));
  return run;
}

async function cmdThreads(values: Values): Promise<number> {
  const rows = await compareSearchThreads({
    threads: list(values['search-threads']!, '--search-threads'),
    levels: list(values.levels === '1,5,10,20,50,100' ? '1,10,50,100' : values.levels!, '--levels'),
    seconds: num(values, 'level-seconds'),
    rounds: num(values, 'rounds'),
    port: num(values, 'port'),
    dataDir:
      values['work-dir'] === '.data/bench-scale' ? '.data/bench-threads' : values['work-dir']!,
    log: progress(values),
  });
  const out = values.out ?? 'bench/results/search-threads.json';
  const file = {
    schema: 'vecserve-bench-threads/1',
    label: values.label ?? 'SEARCH_THREADS 0 vs 1, embedded demo 10k x 512',
    createdAt: new Date().toISOString(),
    environment: { ...environment(), versions: versions() },
    rows,
  };
  writeFileSync(out, `${JSON.stringify(file, null, 2)}\n`);
  console.log(`written to ${out}`);
  return 0;
}

/**
 * The embedded demo server with and without micro-batching, with queries as
 * JSON floats and as vectorBase64, alternating in one run.
 */
async function cmdBatching(values: Values): Promise<number> {
  const vectors = heldOutVectors(1000, 512);
  const encodings = {
    json: vectors.map((v) => JSON.stringify({ vector: Array.from(v), topK: 10 })),
    base64: vectors.map((v) =>
      JSON.stringify({
        vectorBase64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64'),
        topK: 10,
      }),
    ),
  };
  const rows = [];
  for (let round = 1; round <= num(values, 'rounds'); round++) {
    for (const batch of ['off', 'on'])
      for (const [encoding, bodies] of Object.entries(encodings)) {
        const [row] = await compareSearchThreads({
          threads: [1],
          env: { BATCH: batch },
          bodies,
          levels: list(
            values.levels === '1,5,10,20,50,100' ? '1,10,50,100' : values.levels!,
            '--levels',
          ),
          seconds: num(values, 'level-seconds'),
          rounds: 1,
          port: num(values, 'port'),
          dataDir:
            values['work-dir'] === '.data/bench-scale'
              ? '.data/bench-threads'
              : values['work-dir']!,
          log: (m) => progress(values)(`BATCH=${batch} ${encoding}: ${m}`),
        });
        rows.push({ batch, encoding, round, levels: row!.levels });
      }
  }
  const out = values.out ?? 'bench/results/embedded-batching.json';
  const file = {
    schema: 'vecserve-bench-batching/1',
    label: values.label ?? 'embedded demo 10k x 512: BATCH off/on x JSON floats/vectorBase64',
    createdAt: new Date().toISOString(),
    environment: { ...environment(), versions: versions() },
    notes:
      'Server (SEARCH_THREADS=1) and autocannon share 2 cores; closed loop per level; settings alternate each round.',
    rows,
  };
  writeFileSync(out, `${JSON.stringify(file, null, 2)}\n`);
  console.log(`written to ${out}`);
  return 0;
}

async function cmdScale(values: Values): Promise<number> {
  const quantizations = values.quantizations!.split(',') as Quantization[];
  const options = {
    rows: num(values, 'rows'),
    dimension: num(values, 'dimension'),
    quantizations,
    queries: values.queries === '100' ? 1000 : num(values, 'queries'),
    k: num(values, 'k'),
    efs: list(values.ef!, '--ef'),
    levels: list(values.levels === '1,5,10,20,50,100' ? '1,10,50,100' : values.levels!, '--levels'),
    levelSeconds: num(values, 'level-seconds'),
    workDir: values['work-dir']!,
    port: num(values, 'port'),
    log: progress(values),
  };
  // --backend milvus: the same data set in a real Milvus, through vecserve's Milvus backend.
  const result =
    values.backend === 'milvus'
      ? { milvus: await runMilvusScale(options) }
      : await runScale(options);
  const out =
    values.out ??
    `bench/results/scale-${values.backend === 'milvus' ? 'milvus-' : ''}${values.rows}.json`;
  const file = {
    schema: 'vecserve-bench-scale/1',
    label: values.label ?? `scale ${values.rows} x ${values.dimension}`,
    createdAt: new Date().toISOString(),
    environment: { ...environment(), versions: versions() },
    ...result,
  };
  writeFileSync(out, `${JSON.stringify(file, null, 2)}\n`);
  console.log(`written to ${out}`);
  return 0;
}

/**
 * The stand-alone benchmarks (bench/*.ts), reachable from this one entry
 * point: `npm run bench -- overload --factor 10` runs bench/overload.ts with
 * the rest of the arguments. Each writes its own result file under
 * bench/results/ and prints its table.
 */
const SCRIPTS: Record<string, { file: string; help: string }> = {
  overload: {
    file: 'bench/overload.ts',
    help: 'admission control at N x capacity, open loop with vegeta: --factor 10 --seconds 60 [--backend milvus] [--via nginx] [--server-cpus 1 --generator-cpus 0] [--size N --ef N --data-dir DIR] [--env K=V --only NAME]',
  },
  smoke: {
    file: 'bench/smoke.ts',
    help: 'start-up to first search, and /search next to bare Hono routes',
  },
  'milvus-pool': {
    file: 'bench/milvus-pool.ts',
    help: 'Milvus from Node: SDK variants, our pool, the API (plain, batched, base64) and Milvus REST: [--address A] [--concurrency 1,10,50,100] [--pool 16]',
  },
  'admission-micro': {
    file: 'bench/admission-micro.ts',
    help: 'the cost of one admission decision, per limiter (ns)',
  },
  'validation-micro': {
    file: 'bench/validation-micro.ts',
    help: 'the parser on the search hot path: JSON.parse, nesting check, zod, vectorBase64 (us)',
  },
};

function runScript(name: string, args: string[]): number {
  const r = spawnSync(process.execPath, ['--import', 'tsx', SCRIPTS[name]!.file, ...args], {
    stdio: 'inherit',
  });
  return r.status ?? 1;
}

const COMMAND_HELP: Record<string, string> = {
  sweep:
    'closed-loop concurrency sweep: --levels 1,5,10,20,50,100 --duration S --warmup S --scenario search|filtered|batch',
  rate: 'open loop at an arrival rate: --rate R --duration S | --stages "100:10,500:30" | --ramp "100..1000:60"',
  slo: 'highest rate meeting --rule "p99<100ms,errors<0.1%": --start R --max R --iterations N [--require R]',
  mix: 'weighted scenarios, open loop: --weights search=10,filtered=3,batch=1 --rate R --duration S',
  users:
    "Locust's model: --users N --spawn S --wait 0.5-1.5 (think time, s) --duration S [--scenario]",
  recall: 'recall@k vs QPS over ef: --ef 16,32,64 --k 10 --queries N --concurrency C',
  plan: 'machines for a target: --from RESULT.json --peak-qps N --average-qps N --utilisation 0.8',
  report: 'HTML + tables of result files: report A.json B.json [--out report.html] [--charts DIR]',
  threads: 'demo server with SEARCH_THREADS=0 and 1, alternating: --search-threads 0,1 --rounds N',
  batching: 'demo server with BATCH off/on x JSON/vectorBase64 queries, alternating: --rounds N',
  scale: 'the store at scale: --rows N --dimension D --quantizations f32,f16,i8 [--backend milvus]',
};

export function helpText(command?: string): string {
  const common = `Every measuring command takes:
  --target URL        the server (default http://127.0.0.1:8000)
  --collection NAME   (default products)
  --out FILE          JSON result (a CSV is written next to it)
  --label TEXT        names the run in reports
  --threshold EXPR    k6-style, repeatable: 'p99<100ms', 'p95<50ms', 'errors<0.1%';
                      printed PASS/FAIL per level or run, exit code 1 when one fails
  --ui [--ui-port N]  rate, mix, users: a live page of the per-second figures on loopback
`;
  if (command && COMMAND_HELP[command])
    return `npm run bench -- ${command} [options]\n  ${COMMAND_HELP[command]}\n\n${common}`;
  if (command && SCRIPTS[command])
    return `npm run bench -- ${command} [options]   (runs ${SCRIPTS[command]!.file})\n  ${SCRIPTS[command]!.help}\n`;
  return `usage: npm run bench -- <command> [options]   (--help after a command for its options)\n\n${Object.entries(
    COMMAND_HELP,
  )
    .map(([c, h]) => `  ${c.padEnd(9)} ${h}`)
    .join('\n')}\n\nStand-alone benchmarks (own options and result files):\n${Object.entries(
    SCRIPTS,
  )
    .map(([c, x]) => `  ${c.padEnd(16)} ${x.help}`)
    .join('\n')}\n\n${common}`;
}

export async function main(argv: string[]): Promise<number> {
  // The stand-alone benchmarks take their own arguments: hand them over untouched.
  if (argv[0] && SCRIPTS[argv[0]] && !argv.includes('--help') && !argv.includes('-h'))
    return runScript(argv[0], argv.slice(1));
  const { values, positionals } = parseArgs({
    args: argv,
    options: OPTIONS,
    allowPositionals: true,
  });
  const command = positionals[0];
  if (values.help || command === 'help' || command === undefined) {
    process.stdout.write(helpText(command === 'help' ? positionals[1] : command));
    return command === undefined && !values.help ? 2 : 0;
  }
  if (command === 'report') {
    const files = [...(values.in ?? []), ...positionals.slice(1)];
    if (files.length === 0)
      throw new UsageError('report needs result files: --in a.json --in b.json (or positional)');
    const runs = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as AnyRun);
    for (const r of runs) printRun(r);
    const out = values.out ?? 'bench/results/report.html';
    writeFileSync(out, renderHtml(runs));
    console.log(`report written to ${out}`);
    if (values.charts) {
      // Stand-alone SVG charts of each sweep, e.g. for a README.
      mkdirSync(values.charts, { recursive: true });
      runs.forEach((r, i) => {
        if (r.kind !== 'sweep') return;
        const names = ['qps', 'latency', 'latency-vs-qps', 'failures'];
        for (const [j, svg] of sweepCharts(r).entries()) {
          const suffix = runs.length > 1 ? `-${i + 1}` : '';
          writeFileSync(join(values.charts!, `sweep${suffix}-${names[j]}.svg`), svg);
        }
      });
      console.log(`charts written to ${values.charts}/`);
    }
    return 0;
  }
  if (command === 'scale') return cmdScale(values);
  if (command === 'threads') return cmdThreads(values);
  if (command === 'batching') return cmdBatching(values);
  const commands: Record<string, (v: Values) => Promise<AnyRun> | AnyRun> = {
    sweep: cmdSweep,
    rate: cmdRate,
    slo: cmdSlo,
    mix: cmdMix,
    recall: cmdRecall,
    plan: cmdPlan,
    users: cmdUsers,
  };
  const run = command ? commands[command] : undefined;
  if (!run)
    throw new UsageError(
      `usage: npm run bench -- <${Object.keys(commands).join('|')}|report|scale|threads|batching> [options]`,
    );
  const result = await run(values);
  result.thresholds = judgeThresholds(result, values.threshold ?? []);
  const out =
    values.out ?? `bench/results/${command}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  const files = writeRun(result, out);
  printRun(result);
  console.log(`written to ${files.json} and ${files.csv}`);
  if (result.thresholds) console.log(formatThresholds(result.thresholds));
  if (result.thresholds && !result.thresholds.pass) return 1;
  if (result.kind === 'slo' && result.required && !result.required.pass) return 1;
  return 0;
}

if (process.argv[1]?.endsWith('cli.ts')) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(
        `bench: ${err instanceof UsageError ? err.message : (err as Error).stack}\n`,
      );
      process.exit(err instanceof UsageError ? 2 : 1);
    },
  );
}
