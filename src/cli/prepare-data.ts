/**
 * prepare-data: create and fill a collection with synthetic vectors, on either backend.
 *
 *   npm run prepare-data -- create   --collection products --size 100000 [--dimension 512]
 *                                    [--metric L2] [--batch 1000] [--parallel 4] [--m 16]
 *                                    [--ef-construction 200]
 *   npm run prepare-data -- describe --collection products
 *   npm run prepare-data -- drop     --collection products
 *
 * Backend and addresses come from the usual settings (BACKEND, MILVUS_ADDRESS, DATA_DIR)
 * or from --backend / --milvus-address / --data-dir. `create` is idempotent and resumable:
 * rows have fixed ids (item-<n>), and a checkpoint in DATA_DIR/ingest/ records how far the
 * writes were acknowledged, so a second run re-sends only what was in flight (see
 * src/data/fill-collection.ts). It waits for the index to cover every row, with progress.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EmbeddedBackend } from '../backends/embedded/embedded-backend.ts';
import { openMilvusBackend } from '../backends/milvus/open-milvus-backend.ts';
import type { SearchBackend } from '../backends/search-backend.ts';
import { ConfigError, loadConfig } from '../config/load-config.ts';
import type { Config } from '../config/settings.ts';
import { checkName } from '../core/collection-spec.ts';
import { isServiceError } from '../core/errors.ts';
import { INDEX_TYPES, type IndexType, METRICS, type Metric } from '../core/types.ts';
import { fillCollection, MAX_IN_FLIGHT_ROWS } from '../data/fill-collection.ts';
import { createLogger } from '../observability/logger.ts';
import { milvusOptions } from '../server/compose.ts';
import { progressLine } from './progress.ts';

/**
 * Writes in flight at once. Measured on Milvus 2.3 standalone, 2 cores, 1M x 512,
 * batches of 1,000 (bench/results/ingest-milvus-1000000.json).
 */
const DEFAULT_PARALLEL = { write: 4, import: 2 };
const DEFAULT_BATCH = { write: 1000, import: 500_000 };

const USAGE = `usage: npm run prepare-data -- <create|describe|drop> --collection NAME [options]
  create options: --size N (10000) --dimension D (512) --metric L2|IP|COSINE (L2)
                  --via write|import (write): write batches (Milvus: encoded inserts), or
                    import files with Milvus's bulk insert (--import-dir: a directory Milvus
                    reads at the same path, e.g. under its localStorage.path)
                  --batch N (write 1000, import 500000 rows per file set)
                  --parallel N (writes in flight ${DEFAULT_PARALLEL.write}, imports ${DEFAULT_PARALLEL.import})
                  --index HNSW|IVF_FLAT|IVF_SQ8|IVF_PQ|... (HNSW) --nlist N (IVF, 1024)
                  --m M (16) --ef-construction N (200)
  backend:        --backend embedded|milvus --milvus-address HOST:PORT --data-dir DIR`;

class UsageError extends Error {}

function positiveInt(name: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new UsageError(`--${name} must be an integer from 1 to ${max}, got "${raw}"`);
  }
  return n;
}

async function openBackendFor(config: Config): Promise<SearchBackend> {
  const logger = createLogger('warn');
  if (config.backend === 'milvus') return openMilvusBackend(milvusOptions(config), logger);
  const backend = new EmbeddedBackend({
    dataDir: config.dataDir,
    mode: 'writable',
    bruteForceLimit: config.bruteForceLimit,
  });
  await backend.init(); // refuses, naming the pid, if a server holds the data directory
  return backend;
}

async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      collection: { type: 'string' },
      size: { type: 'string' },
      dimension: { type: 'string' },
      metric: { type: 'string' },
      batch: { type: 'string' },
      parallel: { type: 'string' },
      via: { type: 'string' },
      'import-dir': { type: 'string' },
      index: { type: 'string' },
      nlist: { type: 'string' },
      m: { type: 'string' },
      'ef-construction': { type: 'string' },
      backend: { type: 'string' },
      'milvus-address': { type: 'string' },
      'data-dir': { type: 'string' },
    },
  });
  const command = positionals[0];
  if (!command || !['create', 'describe', 'drop'].includes(command) || positionals.length > 1) {
    throw new UsageError(
      `expected one command: create, describe or drop${command ? `, got "${positionals.join(' ')}"` : ''}`,
    );
  }
  if (!values.collection) throw new UsageError('--collection is required');
  let name: string;
  try {
    name = checkName('collection', values.collection);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (values.backend) env.BACKEND = values.backend;
  if (values['milvus-address']) env.MILVUS_ADDRESS = values['milvus-address'];
  if (values['data-dir']) env.DATA_DIR = values['data-dir'];
  const config = loadConfig({ env });

  const backend = await openBackendFor(config);
  try {
    if (command === 'describe') {
      console.log(JSON.stringify(await backend.describe(name), null, 2));
      return;
    }
    if (command === 'drop') {
      const exists = (await backend.listCollections()).includes(name);
      if (exists) await backend.dropCollection(name);
      console.log(exists ? `dropped ${name}` : `${name} does not exist: nothing to drop`);
      return;
    }
    const size = positiveInt('size', values.size, 10_000, 100_000_000);
    const dimension = positiveInt('dimension', values.dimension, 512, 32_768);
    const via = values.via ?? 'write';
    if (via !== 'write' && via !== 'import')
      throw new UsageError(`--via must be write or import, got "${via}"`);
    if (via === 'import' && !values['import-dir'])
      throw new UsageError('--via import needs --import-dir (a directory Milvus reads)');
    const batch = positiveInt(
      'batch',
      values.batch,
      DEFAULT_BATCH[via],
      via === 'write' ? 65_536 : 10_000_000,
    );
    const parallel = positiveInt('parallel', values.parallel, DEFAULT_PARALLEL[via], 64);
    const indexType = (values.index ?? 'HNSW').toUpperCase();
    if (!(INDEX_TYPES as readonly string[]).includes(indexType))
      throw new UsageError(
        `--index must be one of ${INDEX_TYPES.join(', ')}, got "${values.index}"`,
      );
    const M = positiveInt('m', values.m, 16, 2048);
    const efConstruction = positiveInt('ef-construction', values['ef-construction'], 200, 65_536);
    const index =
      indexType === 'HNSW'
        ? { type: 'HNSW' as const, M, efConstruction, efSearch: 64 }
        : {
            type: indexType as IndexType,
            ...(indexType.startsWith('IVF')
              ? { nlist: positiveInt('nlist', values.nlist, 1024, 65_536) }
              : {}),
          };
    if (via === 'write' && batch * parallel > MAX_IN_FLIGHT_ROWS)
      throw new UsageError(
        `--batch x --parallel is ${batch * parallel} rows in flight; at most ${MAX_IN_FLIGHT_ROWS}`,
      );
    const metric = (values.metric ?? 'L2').toUpperCase() as Metric;
    if (!METRICS.includes(metric))
      throw new UsageError(`--metric must be one of ${METRICS.join(', ')}, got "${values.metric}"`);
    const tty = process.stderr.isTTY;
    const started = performance.now();
    let lastPrint = 0;
    let lastIndexPrint = 0;
    let flushStarted = started;
    const { had, added } = await fillCollection(
      backend,
      {
        name,
        size,
        dimension,
        metric,
        batch,
        parallel,
        via,
        ...(values['import-dir'] ? { importDir: resolve(values['import-dir']) } : {}),
        index,
        checkpointFile: join(config.dataDir, 'ingest', `${backend.kind}-${name}.json`),
      },
      {
        created: (what) => console.error(`created ${what}`),
        flushing: () => {
          console.error(
            `${((performance.now() - started) / 1000).toFixed(1)} s: written; flushing (seal segments / snapshot)...`,
          );
          flushStarted = performance.now();
        },
        indexing: (indexed, total) => {
          const now = performance.now();
          if (now - lastIndexPrint < (tty ? 200 : 5000) && indexed < total) return;
          lastIndexPrint = now;
          const line = `index: ${indexed}/${total} rows built, ${((now - flushStarted) / 1000).toFixed(0)} s since the flush`;
          process.stderr.write(tty ? `\r${line}` : `${line}\n`);
          if (tty && indexed >= total) process.stderr.write('\n');
        },
        resumed: (from, how) =>
          console.error(
            `${name} exists: resuming at row ${from} (from its ${how}) up to ${size - 1}`,
          ),
        retrying: (first, attempt, err) =>
          console.error(
            `rows from ${first}: attempt ${attempt} failed (${(err as Error).message}); retrying`,
          ),
        progress: (done, todo) => {
          const now = performance.now();
          if (now - lastPrint > (tty ? 200 : 5000) || done === todo) {
            lastPrint = now;
            const line = progressLine(done, todo, now - started);
            process.stderr.write(tty ? `\r${line}` : `${line}\n`);
            if (tty && done === todo) process.stderr.write('\n');
          }
        },
      },
    );
    if (added === 0) {
      console.log(`${name} already holds ${had} rows (>= ${size}): nothing to do`);
      return;
    }
    const info = await backend.describe(name);
    console.log(
      `${name}: ${info.count} rows in ${((performance.now() - started) / 1000).toFixed(1)} s (${backend.kind})`,
    );
  } finally {
    await backend.close();
  }
}

run(process.argv.slice(2)).catch((err: unknown) => {
  const parseError = String((err as { code?: unknown })?.code ?? '').startsWith('ERR_PARSE_ARGS');
  if (err instanceof UsageError || err instanceof ConfigError || parseError) {
    console.error(`prepare-data: ${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (isServiceError(err)) {
    // A refusal says what was wrong (e.g. the collection exists with another dimension).
    console.error(`prepare-data: ${err.message}`);
    process.exit(1);
  }
  console.error(err);
  process.exit(1);
});
