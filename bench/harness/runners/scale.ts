import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { EmbeddedBackend } from '../../../src/backends/embedded/embedded-backend.ts';
import type { SearchBackend } from '../../../src/backends/search-backend.ts';
import { percentile } from '../../../src/core/statistics.ts';
import { QUANTIZATIONS, type Quantization, type Row } from '../../../src/core/types.ts';
import { environment } from '../../lib/environment.ts';
import { buildServer } from '../../lib/prepare.ts';
import { startServerProcess } from '../../lib/server-process.ts';
import { pageCacheShare, readThrough } from './page-cache.ts';
import { processCpuSeconds } from './process-cpu.ts';
import { SCALE_COLLECTION, type ScaleData, scaleData, scaleSpec } from './scale-data.ts';
import { runLevel, type SweepGenerator, sweepGeneratorSchema } from './sweep.ts';

/**
 * What the scale bench builds: a quantization, or `i8-usearch`, an int8 graph
 * coded by usearch's own cast (x * 127 / |x|, the fixed scale graphs written
 * before learned scales hold), to compare with the learned scale in one run.
 */
export type ScaleMode = Quantization | 'i8-usearch';
export const SCALE_MODES: readonly ScaleMode[] = [...QUANTIZATIONS, 'i8-usearch'];

export interface ScaleOptions {
  rows: number;
  dimension: number;
  quantizations: ScaleMode[];
  /** The embedded graphs' build breadth. @default 200 */
  efConstruction?: number;
  queries: number;
  k: number;
  efs: number[];
  /** Quantized graphs: candidates per hit rescored exactly (1: none), crossed with `efs`. */
  oversampling?: number[];
  /** The HTTP sweep searches at the fastest measured setting with at least this recall. */
  recallTarget?: number;
  levels: number[];
  levelSeconds: number;
  /** The HTTP sweep is repeated with each SEARCH_THREADS value (-1: the server's own choice). @default [-1] */
  searchThreads?: number[];
  /** The HTTP server's QUEUE_TARGET, seconds (absent: its default). */
  queueTarget?: number;
  /** Keep each mode's store under the work directory after its run (for later runs on it). */
  keepStores?: boolean;
  /**
   * Search a store kept by an earlier run instead of building it, when its build
   * record matches (rows, dimension, mode, efConstruction): the build figures are
   * that run's (with its date), everything else is measured in this one.
   */
  reuseStores?: boolean;
  /** Each HTTP sweep also with the server's HUGE_PAGES_DIR set to this (a huge-page tmpfs), right after the one without. */
  hugePagesDir?: string;
  /**
   * Read the raw vectors file through before each HTTP level, so rescoring reads
   * come from the page cache (a host reclaiming idle pages leaves ~10% of it
   * cached: then every level measures disk reads as much as the search).
   */
  warmVectors?: boolean;
  /**
   * The HTTP levels' client: wrk takes a third of the undici loop's CPU, which on
   * a machine the server shares is CPU the server keeps. @default 'undici'
   */
  generator?: SweepGenerator;
  workDir: string;
  port: number;
  log: (m: string) => void;
}

export const scaleFiguresSchema = z.object({
  quantization: z.enum(QUANTIZATIONS as [Quantization, ...Quantization[]]),
  /** What was built when it is not the quantization alone (i8-usearch: usearch's own int8 cast). */
  mode: z.enum(SCALE_MODES as [ScaleMode, ...ScaleMode[]]).optional(),
  buildSeconds: z.number(),
  insertsPerSecond: z.number(),
  snapshotSeconds: z.number(),
  /** Set when the store was kept from an earlier run (--reuse-stores): when that run built it. */
  builtAt: z.string().optional(),
  diskBytes: z.object({ index: z.number(), data: z.number() }),
  /** Process start to backend open, in a fresh process (page cache warm). */
  openMs: z.object({ writable: z.number(), shared: z.number() }),
  /** Start to ready after SIGKILL with the log at its checkpoint limit (wall: process start to exit, after its closing checkpoint). */
  crashRestart: z.object({
    pendingRows: z.number(),
    openMs: z.number(),
    wallMs: z.number(),
    /** The restarted process's exit (code or signal) after its closing checkpoint (absent in runs before it was recorded). */
    closeExit: z.union([z.number(), z.string()]).nullable().optional(),
  }),
  memory: z.object({
    workers: z.array(
      z.object({ rss: z.number(), pss: z.number(), pssAnon: z.number(), pssFile: z.number() }),
    ),
    hostPss: z.number(),
    oneCopyBytes: z.number(),
    hostPssOverOneCopy: z.number(),
  }),
  recall: z.array(
    z.object({
      ef: z.number(),
      /** Quantized graphs: candidates per hit, rescored exactly (absent: 1). */
      oversampling: z.number().optional(),
      recall: z.number(),
      qpsOneThread: z.number(),
      p99Ms: z.number(),
    }),
  ),
  /**
   * With --huge-pages-dir: one search after another in this process at `httpParams`,
   * its graph mapped from the store and from the huge-page copy in turns (ms a search,
   * one figure a round; every query of the recall set a round).
   */
  serialByMapping: z
    .object({ storeMs: z.array(z.number()), hugePagesMs: z.array(z.number()) })
    .optional(),
  /** What every HTTP request sent as params (chosen from `recall`: see `recallTarget`). */
  httpParams: z.object({ ef: z.number(), oversampling: z.number().optional() }).optional(),
  http: z.array(
    z.object({
      concurrency: z.number(),
      qps: z.number(),
      p50Ms: z.number(),
      p99Ms: z.number(),
      failureRate: z.number(),
      /** What the failures were: "503 overloaded (queue_full)", "504 deadline_exceeded", timeouts... */
      failures: z.record(z.string(), z.number()).optional(),
      /** The server's SEARCH_THREADS for this level (-1: its own choice; absent in older runs). */
      searchThreads: z.number().optional(),
      /** Graphs mapped from copies on a huge-page tmpfs (HUGE_PAGES_DIR); absent: from the store. */
      hugePages: z.boolean().optional(),
      /** The client that drove the level (absent in runs before 2026-12-07 noon: the undici loop). */
      generator: sweepGeneratorSchema.optional(),
      /** The server process's CPU (all its threads) and the generator's, percent of one core. */
      serverCpuPercent: z.number().optional(),
      generatorCpuPercent: z.number().optional(),
      /** Share of the raw vectors file in the page cache as the level started (rescoring reads it). */
      vectorsCached: z.number().optional(),
    }),
  ),
});
export type ScaleFigures = z.infer<typeof scaleFiguresSchema>;

const BATCH = 10_000;

function duBytes(dir: string, pred: (name: string) => boolean): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && pred(join(e.parentPath, e.name)))
      total += statSync(join(e.parentPath, e.name)).size;
  }
  return total;
}

function child(
  args: string[],
): ChildProcess & { lines: string[]; line: (re: RegExp) => Promise<string> } {
  const c = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./scale-child.ts', import.meta.url)), ...args],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  ) as ChildProcess & { lines: string[]; line: (re: RegExp) => Promise<string> };
  c.lines = [];
  let buf = '';
  c.stdout!.on('data', (d) => {
    buf += d;
    const parts = buf.split('\n');
    buf = parts.pop()!;
    c.lines.push(...parts);
  });
  c.line = async (re) => {
    for (;;) {
      const hit = c.lines.find((l) => re.test(l));
      if (hit) return hit;
      if (c.exitCode !== null) throw new Error(`scale child ${args[0]} exited ${c.exitCode}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return c;
}

async function timedOpen(
  dataDir: string,
  mode: string,
): Promise<{ openMs: number; wallMs: number; closeExit: number | string | null }> {
  const t0 = performance.now();
  const c = child(['open', dataDir, mode]);
  const line = await c.line(/openMs/);
  // The child then closes the backend (a checkpoint when it replayed a log): its exit says how that went.
  const closeExit = await new Promise<number | string | null>((r) => {
    if (c.exitCode !== null || c.signalCode !== null) r(c.exitCode ?? c.signalCode);
    else c.on('exit', (code, signal) => r(code ?? signal));
  });
  return { openMs: JSON.parse(line).openMs, wallMs: performance.now() - t0, closeExit };
}

/** recall@k and serial latency per ef, searching in this process (no HTTP). */
export async function recallCurve(
  b: SearchBackend,
  data: ScaleData,
  opts: Pick<ScaleOptions, 'dimension' | 'k' | 'efs' | 'log'>,
  label: string,
  /** The index type's search parameter that `efs` are values of (null: FLAT, none). */
  param: 'ef' | 'nprobe' | 'searchList' | null = 'ef',
  /** Oversampling values to cross with `efs` (embedded quantized graphs; absent: none sent). */
  oversampling: number[] = [],
): Promise<ScaleFigures['recall']> {
  const recall: ScaleFigures['recall'] = [];
  const nq = data.queries.length / opts.dimension;
  const settings: { ef: number; oversampling?: number }[] = opts.efs.flatMap((ef) =>
    oversampling.length === 0 ? [{ ef }] : oversampling.map((o) => ({ ef, oversampling: o })),
  );
  for (const { ef, oversampling: over } of settings) {
    let found = 0;
    const times: number[] = [];
    for (let i = 0; i < nq; i++) {
      const qv = data.queries.subarray(i * opts.dimension, (i + 1) * opts.dimension);
      const t = performance.now();
      const [hits] = await b.search(SCALE_COLLECTION, [qv], {
        topK: opts.k,
        filter: [],
        outputFields: [],
        ...(param === 'nprobe'
          ? { nprobe: ef }
          : param === null
            ? {}
            : { [param]: Math.max(ef, opts.k) }),
        ...(over !== undefined && { oversampling: over }),
      });
      times.push(performance.now() - t);
      const truth = new Set(
        Array.from(data.truth.subarray(i * opts.k, (i + 1) * opts.k), (s) => `v-${s}`),
      );
      found += hits!.filter((h) => truth.has(h.id)).length;
    }
    times.sort((a, b) => a - b);
    const total = times.reduce((a, b) => a + b, 0);
    const r = found / (nq * opts.k);
    recall.push({
      ef,
      ...(over !== undefined && { oversampling: over }),
      recall: r,
      qpsOneThread: nq / (total / 1000),
      p99Ms: percentile(times, 0.99),
    });
    opts.log(
      `  ${label}: ${param ?? 'exact'} ${ef}${over !== undefined ? ` oversampling ${over}` : ''} recall@${opts.k} ${r.toFixed(3)}, serial ${(total / nq).toFixed(2)} ms`,
    );
  }
  return recall;
}

/** The rows of the scale set, in write batches (ids `v-<i>`, category A-D, price 0-99). */
export function* scaleRows(data: ScaleData, rows: number, dimension: number): Generator<Row[]> {
  for (let start = 0; start < rows; start += BATCH) {
    const out: Row[] = [];
    for (let i = start; i < Math.min(rows, start + BATCH); i++) {
      const vector = data.vectors.subarray(i * dimension, (i + 1) * dimension);
      out.push({
        id: `v-${i}`,
        vector: vector as unknown as number[],
        fields: { category: 'ABCD'[i % 4]!, price: i % 100 },
      });
    }
    yield out;
  }
}

/** What a build leaves next to its store, so a later run can search it without building it again. */
const buildRecordSchema = z.object({
  mode: z.enum(SCALE_MODES as [ScaleMode, ...ScaleMode[]]),
  rows: z.number(),
  dimension: z.number(),
  efConstruction: z.number(),
  buildSeconds: z.number(),
  snapshotSeconds: z.number(),
  builtAt: z.string(),
  gitCommit: z.string().nullable(),
});
type BuildRecord = z.infer<typeof buildRecordSchema>;
const BUILD_RECORD = 'bench-build.json';

/** The graphs' build breadth the options ask for (scaleSpec's default when absent). */
const efConstructionOf = (opts: ScaleOptions) => opts.efConstruction ?? 200;

/** The kept store's build record when it was built as `opts` asks for `mode`; null otherwise. */
function keptBuild(dataDir: string, opts: ScaleOptions, mode: ScaleMode): BuildRecord | null {
  const file = join(dataDir, BUILD_RECORD);
  if (!existsSync(file)) return null;
  const r = buildRecordSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!r.success) return null;
  const b = r.data;
  const same =
    b.mode === mode &&
    b.rows === opts.rows &&
    b.dimension === opts.dimension &&
    b.efConstruction === efConstructionOf(opts);
  return same ? b : null;
}

/** A mode's recall curve: over ef, and over oversampling for a quantized graph (rescored). */
function modeRecall(b: SearchBackend, data: ScaleData, opts: ScaleOptions, mode: ScaleMode) {
  const over = quantizationOf(mode) === 'f32' ? [] : (opts.oversampling ?? []);
  return recallCurve(b, data, opts, mode, 'ef', over);
}

/** recall over ef (and oversampling) on the store as it is, opened for writing as after a build. */
async function measureKept(dataDir: string, data: ScaleData, opts: ScaleOptions, mode: ScaleMode) {
  const b = new EmbeddedBackend({ dataDir, mode: 'writable' });
  await b.init();
  const recall = await modeRecall(b, data, opts, mode);
  await b.close();
  return recall;
}

/**
 * Serial searches at `params`, the graph mapped from the store's file and from
 * its huge-page copy in alternating rounds (the same process, the same queries):
 * what the mapping alone changes in a search, with no HTTP and no generator.
 */
async function serialByMapping(
  dataDir: string,
  data: ScaleData,
  opts: Pick<ScaleOptions, 'dimension' | 'k'>,
  params: { ef: number; oversampling?: number },
  hugePagesDir: string,
  rounds = 3,
) {
  const nq = data.queries.length / opts.dimension;
  const open = async (dir?: string) => {
    const b = new EmbeddedBackend({
      dataDir,
      mode: 'shared',
      verifyOnOpen: false,
      ...(dir && { hugePagesDir: dir }),
    });
    await b.init();
    return b;
  };
  const [store, huge] = [await open(), await open(hugePagesDir)];
  const msPerSearch = async (b: EmbeddedBackend) => {
    const t = performance.now();
    for (let i = 0; i < nq; i++) {
      const qv = data.queries.subarray(i * opts.dimension, (i + 1) * opts.dimension);
      await b.search(SCALE_COLLECTION, [qv], {
        topK: opts.k,
        filter: [],
        outputFields: [],
        ef: Math.max(params.ef, opts.k),
        ...(params.oversampling !== undefined && { oversampling: params.oversampling }),
      });
    }
    return (performance.now() - t) / nq;
  };
  try {
    await msPerSearch(store); // both mappings' pages touched once before timing
    await msPerSearch(huge); // opens the collection, which starts its copy
    // The copy goes on in the event loop's I/O phase, which back-to-back searches
    // on this thread never reach: wait for it here, then for the switch to it.
    await copiesMade(hugePagesDir);
    await new Promise((r) => setTimeout(r, 200));
    await msPerSearch(huge);
    const out = { storeMs: [] as number[], hugePagesMs: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      out.storeMs.push(await msPerSearch(store));
      out.hugePagesMs.push(await msPerSearch(huge));
    }
    return out;
  } finally {
    await store.close();
    await huge.close();
  }
}

async function build(dataDir: string, data: ScaleData, opts: ScaleOptions, mode: ScaleMode) {
  rmSync(dataDir, { recursive: true, force: true });
  const q = quantizationOf(mode);
  // A bulk load: no checkpoint until the end (a crash mid-load replays the log).
  const b = new EmbeddedBackend({
    dataDir,
    mode: 'writable',
    checkpointBytes: Number.POSITIVE_INFINITY,
    checkpointRows: Number.POSITIVE_INFINITY,
    ...(mode === 'i8-usearch' && { int8Coding: 'usearch' as const }),
  });
  await b.init();
  await b.createCollection(scaleSpec(opts.dimension, q, opts.efConstruction));
  const t0 = performance.now();
  let done = 0;
  for (const rows of scaleRows(data, opts.rows, opts.dimension)) {
    await b.write(SCALE_COLLECTION, rows, { mode: 'insert' });
    done += rows.length;
    if (done % (BATCH * 10) === 0) {
      opts.log(`  ${mode}: ${done} rows in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
  }
  const buildSeconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  await b.flush(SCALE_COLLECTION);
  const snapshotSeconds = (performance.now() - t1) / 1000;
  const record: BuildRecord = {
    mode,
    rows: opts.rows,
    dimension: opts.dimension,
    efConstruction: efConstructionOf(opts),
    buildSeconds,
    snapshotSeconds,
    builtAt: new Date().toISOString(),
    gitCommit: environment().gitCommit,
  };
  writeFileSync(join(dataDir, BUILD_RECORD), `${JSON.stringify(record, null, 2)}\n`);
  const recall = await modeRecall(b, data, opts, mode);
  await b.close();
  return { buildSeconds, snapshotSeconds, recall };
}

async function memory(dataDir: string, data: ScaleData, workers: number) {
  const kids = Array.from({ length: workers }, () => child(['serve', dataDir, data.queriesPath]));
  try {
    const rollups = await Promise.all(kids.map((c) => c.line(/Pss/)));
    // Every worker has mapped and touched its pages; measure again, all alive together.
    const now = kids.map((c) => {
      const text = execFileSync('cat', [`/proc/${c.pid}/smaps_rollup`], { encoding: 'utf8' });
      const v = (key: string) =>
        Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
      return { rss: v('Rss'), pss: v('Pss'), pssAnon: v('Pss_Anon'), pssFile: v('Pss_File') };
    });
    void rollups;
    return now;
  } finally {
    for (const c of kids) c.kill('SIGKILL');
  }
}

/** Closed-loop levels through the real HTTP server, started with `env`. */
export async function httpSweep(
  env: Record<string, string>,
  data: ScaleData,
  opts: Pick<
    ScaleOptions,
    'port' | 'dimension' | 'k' | 'levels' | 'levelSeconds' | 'log' | 'warmVectors' | 'generator'
  >,
  /** Search parameters every request sends (e.g. { nprobe: 16 }). */
  params?: Record<string, number>,
  /** The raw vectors file: its share in the page cache is recorded before each level. */
  vectorsFile?: string,
) {
  const url = `http://127.0.0.1:${opts.port}`;
  // Compiled, as `npm start` and PM2 run it.
  buildServer();
  const server = await startServerProcess({
    command: process.execPath,
    args: [fileURLToPath(new URL('../../../dist/cli/serve.js', import.meta.url))],
    env: {
      NODE_ENV: 'production',
      PORT: String(opts.port),
      DEMO_COLLECTION: '',
      LOG_LEVEL: 'warn',
      ...env,
    },
    url,
    readyPath: '/readyz',
    timeoutMs: 600_000,
  });
  try {
    const nq = data.queries.length / opts.dimension;
    const bodies = Array.from({ length: nq }, (_, i) =>
      JSON.stringify({
        vector: Array.from(data.queries.subarray(i * opts.dimension, (i + 1) * opts.dimension)),
        topK: opts.k,
        ...(params && { params }),
      }),
    );
    // Every search thread opens its snapshot on its first search, and with huge
    // pages starts the copy then (mapping the store's file until it is made):
    // both happen before the levels, so neither variant's first level pays them.
    const warmUp = async () => {
      for (const body of bodies.slice(0, 20)) {
        await fetch(`${url}/v1/collections/${SCALE_COLLECTION}/search`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        }).then((r) => r.arrayBuffer());
      }
    };
    await warmUp();
    if (env.HUGE_PAGES_DIR) {
      await copiesMade(env.HUGE_PAGES_DIR);
      await warmUp(); // the threads switch to the copy between two searches
    }
    const out: ScaleFigures['http'] = [];
    const pid = server.child.pid!;
    for (const c of opts.levels) {
      if (opts.warmVectors && vectorsFile) readThrough(vectorsFile);
      const cached = vectorsFile ? pageCacheShare(vectorsFile) : null;
      const cpu0 = processCpuSeconds(pid);
      const level = await runLevel(
        {
          ...(opts.generator && { generator: opts.generator }),
          url,
          path: `/v1/collections/${SCALE_COLLECTION}/search`,
          bodies,
          levels: [c],
          durationSeconds: opts.levelSeconds,
          warmupSeconds: 0,
        },
        c,
        opts.levelSeconds,
      );
      const cpu1 = processCpuSeconds(pid);
      out.push({
        concurrency: c,
        ...(env.SEARCH_THREADS !== undefined && { searchThreads: Number(env.SEARCH_THREADS) }),
        ...(env.HUGE_PAGES_DIR && { hugePages: true }),
        generator: level.generatorName ?? 'undici',
        ...(cpu0 !== null &&
          cpu1 !== null && {
            serverCpuPercent: Math.round(((cpu1 - cpu0) / level.durationSeconds) * 100),
          }),
        generatorCpuPercent: level.generator.cpuPercent,
        ...(cached !== null && { vectorsCached: Math.round(cached * 1000) / 1000 }),
        qps: level.qps,
        p50Ms: level.latency.p50Ms,
        p99Ms: level.latency.p99Ms,
        failureRate: level.failureRate,
        ...(level.failureRate > 0 && {
          failures: {
            ...(level.errors.byProblem ?? level.errors.byStatus),
            ...(level.errors.timeouts > 0 && { 'no answer in 10 s': level.errors.timeouts }),
            ...(level.errors.connectionErrors > 0 && {
              'connection error': level.errors.connectionErrors,
            }),
          },
        }),
      });
      opts.log(
        `  http c=${c}${env.SEARCH_THREADS !== undefined ? ` threads ${env.SEARCH_THREADS}` : ''}${env.HUGE_PAGES_DIR ? ' huge pages' : ''}: ${level.qps.toFixed(0)} req/s, p99 ${level.latency.p99Ms.toFixed(1)} ms, failed ${(level.failureRate * 100).toFixed(1)}%, server CPU ${out.at(-1)?.serverCpuPercent}%, generator ${level.generator.cpuPercent}%${cached !== null ? `, vectors ${(cached * 100).toFixed(0)}% cached` : ''}`,
      );
    }
    return out;
  } finally {
    await server.stop();
  }
}

/** Waits (at most 5 minutes) until a graph copy is in `dir` and none is being written. */
async function copiesMade(dir: string): Promise<void> {
  const until = Date.now() + 300_000;
  for (;;) {
    const files = readdirSync(dir);
    if (files.some((f) => f.endsWith('.usearch')) && !files.some((f) => f.includes('.tmp-')))
      return;
    if (Date.now() > until) throw new Error(`no graph copy appeared in ${dir} within 5 minutes`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function crashRestart(dataDir: string, pendingRows: number, keep: boolean) {
  const filler = child(['fill', dataDir, String(pendingRows)]);
  await filler.line(/filled/);
  filler.kill('SIGKILL');
  await new Promise((r) => filler.on('exit', r));
  const t = await timedOpen(dataDir, 'writable'); // replays the log, then checkpoints on close
  if (keep) {
    // A kept store is searched again by later runs: the filler's rows go (left deleted).
    const b = new EmbeddedBackend({ dataDir, mode: 'writable' });
    await b.init();
    await b.delete(
      SCALE_COLLECTION,
      Array.from({ length: pendingRows }, (_, i) => `late-${i}`),
    );
    await b.close();
  }
  return { pendingRows, ...t };
}

/** The rows, queries and ground truth the options ask for, cached under the work directory. */
export function scaleDataFor(
  opts: Pick<ScaleOptions, 'workDir' | 'rows' | 'dimension' | 'queries' | 'k' | 'log'>,
): ScaleData {
  return scaleData(
    join(opts.workDir, 'data'),
    opts.rows,
    opts.dimension,
    opts.queries,
    opts.k,
    opts.log,
  );
}

/**
 * The search setting the HTTP sweep uses: of those measured with at least
 * `target` recall, the fastest one serially; when none reaches it, the most
 * exact (ties: the fastest).
 */
export function fastestAtRecall(
  curve: ScaleFigures['recall'],
  target: number,
): { ef: number; oversampling?: number } {
  const passing = curve.filter((r) => r.recall >= target);
  const pick = (passing.length > 0 ? passing : curve).reduce((best, r) =>
    passing.length > 0
      ? r.qpsOneThread > best.qpsOneThread
        ? r
        : best
      : r.recall > best.recall || (r.recall === best.recall && r.qpsOneThread > best.qpsOneThread)
        ? r
        : best,
  );
  return pick.oversampling === undefined
    ? { ef: pick.ef }
    : { ef: pick.ef, oversampling: pick.oversampling };
}

/** The raw vectors of the scale collection's newest data generation (compaction starts a new one). */
function vectorsFileOf(dataDir: string): string {
  const dir = join(dataDir, 'collections', SCALE_COLLECTION);
  const newest = Math.max(
    ...readdirSync(dir)
      .filter((e) => /^data-\d+$/.test(e))
      .map((e) => Number(e.slice(5))),
  );
  return join(dir, `data-${newest}`, 'vectors.f32');
}

/** The quantization a mode builds. */
export function quantizationOf(mode: ScaleMode): Quantization {
  return mode === 'i8-usearch' ? 'i8' : mode;
}

/** Builds, measures and tears down one collection per quantization, one after the other. */
export async function runScale(
  opts: ScaleOptions,
): Promise<{ data: Record<string, unknown>; runs: ScaleFigures[] }> {
  const data = scaleDataFor(opts);
  const runs: ScaleFigures[] = [];
  // A store searched again is kept again.
  const keep = opts.keepStores === true || opts.reuseStores === true;
  for (const mode of opts.quantizations) {
    const q = quantizationOf(mode);
    const dataDir = join(opts.workDir, `store-${mode}`);
    const kept = opts.reuseStores ? keptBuild(dataDir, opts, mode) : null;
    opts.log(
      kept
        ? `${mode}: the store kept from ${kept.builtAt} (built in ${kept.buildSeconds.toFixed(0)} s)`
        : `${mode}: building ${opts.rows} x ${opts.dimension}`,
    );
    const built = kept
      ? { ...kept, recall: await measureKept(dataDir, data, opts, mode) }
      : await build(dataDir, data, opts, mode);
    const writable = await timedOpen(dataDir, 'writable');
    const shared = await timedOpen(dataDir, 'shared');
    const workers = await memory(dataDir, data, 2);
    const index = duBytes(dataDir, (p) => p.endsWith('index.usearch'));
    const dataBytes = duBytes(dataDir, (p) => p.includes('/data-'));
    const hostPss = workers.reduce((a, w) => a + w.pss, 0);
    const httpParams = fastestAtRecall(built.recall, opts.recallTarget ?? 0.95);
    opts.log(`  ${mode}: HTTP at ${JSON.stringify(httpParams)}`);
    if (opts.warmVectors) readThrough(vectorsFileOf(dataDir));
    const serial = opts.hugePagesDir
      ? await serialByMapping(dataDir, data, opts, httpParams, opts.hugePagesDir)
      : undefined;
    if (serial) {
      const f = (ms: number[]) => ms.map((m) => m.toFixed(2)).join(', ');
      opts.log(
        `  ${mode}: serial ms a search, store ${f(serial.storeMs)}; huge pages ${f(serial.hugePagesMs)}`,
      );
    }
    const http: ScaleFigures['http'] = [];
    for (const threads of opts.searchThreads ?? [-1]) {
      for (const hugePagesDir of opts.hugePagesDir ? [undefined, opts.hugePagesDir] : [undefined]) {
        http.push(
          ...(await httpSweep(
            {
              DATA_DIR: dataDir,
              INDEX_MODE: 'writable',
              SEARCH_THREADS: String(threads),
              ...(opts.queueTarget !== undefined && { QUEUE_TARGET: String(opts.queueTarget) }),
              ...(hugePagesDir && { HUGE_PAGES_DIR: hugePagesDir }),
            },
            data,
            opts,
            httpParams,
            vectorsFileOf(dataDir),
          )),
        );
      }
    }
    // Rows upserted since the last snapshot are what a restart must re-insert: the policy's limit.
    const crash = await crashRestart(dataDir, 4095, keep);
    opts.log(
      `  ${mode}: restart after SIGKILL with ${crash.pendingRows} logged rows: ${crash.wallMs.toFixed(0)} ms`,
    );
    runs.push({
      quantization: q,
      ...(mode !== q && { mode }),
      buildSeconds: built.buildSeconds,
      insertsPerSecond: opts.rows / built.buildSeconds,
      snapshotSeconds: built.snapshotSeconds,
      ...(kept && { builtAt: kept.builtAt }),
      diskBytes: { index, data: dataBytes },
      openMs: { writable: writable.wallMs, shared: shared.wallMs },
      crashRestart: crash,
      memory: {
        workers,
        hostPss,
        oneCopyBytes: index + dataBytes,
        hostPssOverOneCopy: hostPss / (index + dataBytes),
      },
      recall: built.recall,
      ...(serial && { serialByMapping: serial }),
      httpParams,
      http,
    });
    // Each mode's figures as they are measured: a long run cut short keeps what it finished.
    opts.log(`  ${mode}: figures ${JSON.stringify(runs.at(-1))}`);
    if (!keep) rmSync(dataDir, { recursive: true, force: true });
  }
  return {
    data: {
      rows: opts.rows,
      dimension: opts.dimension,
      queries: opts.queries,
      k: opts.k,
      distribution: '4096 centres, spread 1.5, unit vectors',
    },
    runs,
  };
}
