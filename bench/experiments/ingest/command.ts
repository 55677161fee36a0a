/**
 * ingest — loading rows into Milvus, side by side in one run against the same
 * server (a running Milvus; `npm run milvus:up`), each variant into a fresh
 * collection of the demo rows (512-d), dropped afterwards:
 *
 *   sdk-rows          the SDK's insert path: a row object and a number[] per row,
 *                     one batch of 1,000 at a time (what prepare-data did before)
 *   encoded-inserts   batches of 1,000 encoded by hand into Insert requests,
 *                     --insert-parallel in flight
 *   import            .npy files of --import-batch rows imported by Milvus's bulk
 *                     insert, --import-parallel in flight (in --import-dir, read by Milvus),
 *                     each chunk generated and written as the imports go
 *   import-staged     the same with every file written first (not timed): Milvus's import
 *                     rate with the loader idle, as when the files exist already
 *
 * Figures: rows/s until every row is acknowledged (imports: done), the loader's
 * and Milvus's CPU over that time (which one limited it), then the flush and
 * index build, and the count Milvus reports at the end.
 *
 *   npm run bench -- ingest [--address 127.0.0.1:19530] [--size 1000000]
 *                           [--baseline-size 100000] [--import-dir DIR] [--index IVF_SQ8]
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { openMilvusBackend } from '../../../src/backends/milvus/open-milvus-backend.ts';
import type { SearchBackend } from '../../../src/backends/search-backend.ts';
import { loadConfig } from '../../../src/config/load-config.ts';
import { round } from '../../../src/core/statistics.ts';
import type { IndexType } from '../../../src/core/types.ts';
import { type FillOptions, fillCollection } from '../../../src/data/fill-collection.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { milvusOptions } from '../../../src/server/compose.ts';
import { type Command, num, type Progress, str, type Values } from '../../harness/command-line.ts';
import { envelope } from '../../harness/envelope.ts';
import { processTree, treeCpuSeconds } from '../../harness/runners/process-cpu.ts';
import type { IngestRun } from './result.ts';

export const ingestCommand: Command = {
  name: 'ingest',
  summary:
    'loading rows into Milvus: the SDK path, hand-encoded parallel inserts, bulk insert from files',
  thresholds: false,
  defaultOut: (v) => `bench/results/ingest-milvus-${v.size}.json`,
  options: {
    address: {
      type: 'string',
      default: '127.0.0.1:19530',
      help: 'a running Milvus (npm run milvus:up)',
    },
    size: { type: 'string', default: '1000000', help: 'rows per variant' },
    'baseline-size': {
      type: 'string',
      default: '100000',
      help: 'rows for sdk-rows (the slow path; its rate is steady from the first seconds)',
    },
    'import-dir': {
      type: 'string',
      default: '.data/milvus/standalone-19530/data/data/vecserve-import',
      help: "import files go here: a directory Milvus reads at the same path (npm run milvus:up's storage)",
    },
    'milvus-pid-file': {
      type: 'string',
      default: '.data/milvus/standalone-19530/server.pid',
      help: "Milvus's pid file (its process tree's CPU is measured)",
    },
    index: { type: 'string', default: 'IVF_SQ8', help: 'the index built after each load' },
    'insert-parallel': { type: 'string', default: '4', help: 'encoded inserts in flight' },
    'import-batch': { type: 'string', default: '500000', help: 'rows per import (file set)' },
    'import-parallel': { type: 'string', default: '2', help: 'imports in flight' },
    variants: {
      type: 'string',
      default: 'sdk-rows,encoded-inserts,import,import-staged',
      help: 'which variants, comma-separated',
    },
  },
  run: (values, progress) => runIngest(values, progress),
};

type Variant = 'sdk-rows' | 'encoded-inserts' | 'import' | 'import-staged';

async function runIngest(values: Values, progress: Progress): Promise<IngestRun> {
  const address = str(values, 'address');
  const size = num(values, 'size');
  const baselineSize = num(values, 'baseline-size');
  const importDir = resolve(str(values, 'import-dir'));
  const milvusRoot = Number(readFileSync(str(values, 'milvus-pid-file'), 'utf8').trim());
  const indexType = str(values, 'index').toUpperCase() as IndexType;
  const variants = str(values, 'variants').split(',') as Variant[];
  const config = loadConfig({
    env: { ...process.env, BACKEND: 'milvus', MILVUS_ADDRESS: address },
  });
  const backend = await openMilvusBackend(milvusOptions(config), createLogger('warn'));
  const run: IngestRun = {
    ...envelope('ingest', values, null, `loading 512-d rows into Milvus at ${address}`),
    dimension: 512,
    index: indexType,
    results: [],
    notes:
      'rows/s: rows acknowledged (imports: done) over the load, from the first write; CPU: share of one core over the load; limited by: the process nearer its CPU ceiling (Milvus can use every core of this machine, the loader one)',
  };
  try {
    for (const variant of variants) {
      const rows = variant === 'sdk-rows' ? baselineSize : size;
      const name = `ingest_bench_${variant.replaceAll('-', '_')}`;
      if ((await backend.listCollections()).includes(name)) await backend.dropCollection(name);
      progress(`${variant}: ${rows} rows into ${name}`);
      const milvusPids = processTree(milvusRoot);
      const options: FillOptions = {
        name,
        size: rows,
        dimension: 512,
        metric: 'L2',
        batch: variant.startsWith('import') ? num(values, 'import-batch') : 1000,
        parallel:
          variant === 'encoded-inserts'
            ? num(values, 'insert-parallel')
            : variant.startsWith('import')
              ? num(values, 'import-parallel')
              : 1,
        via: variant.startsWith('import') ? 'import' : 'write',
        stageFirst: variant === 'import-staged',
        importDir,
        index: { type: indexType, ...(indexType.startsWith('IVF') ? { nlist: 1024 } : {}) },
      };
      let created = 0;
      let stagingSeconds: number | null = null;
      let started = 0;
      let loaded = 0;
      let cpu0 = process.cpuUsage();
      let milvus0 = 0;
      let loaderCpu = 0;
      let milvusCpu = 0;
      let lastShown = 0;
      const startClock = () => {
        started = performance.now();
        cpu0 = process.cpuUsage();
        milvus0 = treeCpuSeconds(milvusPids);
      };
      const target: SearchBackend = variant === 'sdk-rows' ? withoutBulkPaths(backend) : backend;
      const fill = fillCollection(target, options, {
        // The clock starts at the first write, after the collection is made and loaded
        // (import-staged: once every file is written).
        created: () => {
          startClock();
          created = started;
        },
        staged: () => {
          stagingSeconds = (performance.now() - created) / 1000;
          startClock();
        },
        progress: (done, todo) => {
          const now = performance.now();
          if (now - lastShown > 5000 || done === todo) {
            lastShown = now;
            progress(
              `  ${done}/${todo} rows, ${Math.round(done / ((now - started) / 1000))} rows/s`,
            );
          }
        },
        flushing: () => {
          loaded = performance.now();
          const c = process.cpuUsage(cpu0);
          loaderCpu = (c.user + c.system) / 1e6;
          milvusCpu = treeCpuSeconds(milvusPids) - milvus0;
        },
      });
      await fill;
      const indexed = performance.now();
      const info = await backend.describe(name);
      const seconds = (loaded - started) / 1000;
      const loaderPct = (loaderCpu / seconds) * 100;
      const milvusPct = (milvusCpu / seconds) * 100;
      run.results.push({
        variant,
        rows,
        seconds: round(seconds, 1),
        rowsPerSecond: Math.round(rows / seconds),
        loaderCpuPercent: Math.round(loaderPct),
        milvusCpuPercent: Math.round(milvusPct),
        loaderCpuMsPerKRows: round((loaderCpu / rows) * 1e6, 1),
        flushAndIndexSeconds: round((indexed - loaded) / 1000, 1),
        stagingSeconds: stagingSeconds === null ? null : round(stagingSeconds, 1),
        countAfter: info.count,
        limitedBy:
          milvusPct >= 150
            ? `Milvus's CPU (${Math.round(milvusPct)}% of 2 cores' 200%)`
            : loaderPct >= 85
              ? `the loader's CPU (${Math.round(loaderPct)}% of its one core)`
              : 'neither CPU: waiting on Milvus (its pipeline, flushes, disk)',
      });
      progress(`  ${JSON.stringify(run.results.at(-1))}`);
      await backend.dropCollection(name);
    }
  } finally {
    await backend.close();
  }
  const by = (v: Variant) => run.results.find((r) => r.variant === v)?.rowsPerSecond;
  const sdk = by('sdk-rows');
  run.ratios = {
    encodedOverSdk: sdk && by('encoded-inserts') ? round(by('encoded-inserts')! / sdk, 2) : null,
    importOverSdk: sdk && by('import') ? round(by('import')! / sdk, 2) : null,
    importStagedOverSdk: sdk && by('import-staged') ? round(by('import-staged')! / sdk, 2) : null,
  };
  run.goal = {
    what: 'bulk ingest >= 20,000 rows/s into Milvus on this machine (issue 24)',
    best: Math.max(...run.results.map((r) => r.rowsPerSecond)),
    pass: run.results.some((r) => r.rows >= 1_000_000 && r.rowsPerSecond >= 20_000),
  };
  return run;
}

/** The backend as a store without the bulk paths: the loader falls back to write() with rows. */
function withoutBulkPaths(backend: SearchBackend): SearchBackend {
  return new Proxy(backend, {
    get(target, prop) {
      if (['writeColumns', 'writeImportFiles', 'importFiles', 'importState'].includes(String(prop)))
        return undefined;
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
