/**
 * prepare-data: create and fill a collection with synthetic vectors, on either backend.
 *
 *   npm run prepare-data -- create   --collection products --size 100000 [--dimension 512]
 *                                    [--metric L2] [--batch 1000] [--m 16] [--ef-construction 200]
 *   npm run prepare-data -- describe --collection products
 *   npm run prepare-data -- drop     --collection products
 *
 * Backend and addresses come from the usual settings (BACKEND, MILVUS_ADDRESS, DATA_DIR)
 * or from --backend / --milvus-address / --data-dir. `create` is idempotent and resumable:
 * rows have fixed ids (item-<n>) and are upserted, so a second run tops up what is missing.
 */
import { parseArgs } from 'node:util';
import { EmbeddedBackend } from '../backends/embedded/embedded-backend.ts';
import { openMilvusBackend } from '../backends/milvus/open-milvus-backend.ts';
import type { SearchBackend } from '../backends/search-backend.ts';
import { ConfigError, loadConfig } from '../config/load-config.ts';
import type { Config } from '../config/settings.ts';
import { checkName } from '../core/collection-spec.ts';
import { isServiceError } from '../core/errors.ts';
import { METRICS, type Metric } from '../core/types.ts';
import { fillCollection } from '../data/fill-collection.ts';
import { createLogger } from '../observability/logger.ts';
import { milvusOptions } from '../server/compose.ts';
import { progressLine } from './progress.ts';

const USAGE = `usage: npm run prepare-data -- <create|describe|drop> --collection NAME [options]
  create options: --size N (10000) --dimension D (512) --metric L2|IP|COSINE (L2)
                  --batch N (1000) --m M (16) --ef-construction N (200)
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
    const batch = positiveInt('batch', values.batch, 1000, 100_000);
    const metric = (values.metric ?? 'L2').toUpperCase() as Metric;
    if (!METRICS.includes(metric))
      throw new UsageError(`--metric must be one of ${METRICS.join(', ')}, got "${values.metric}"`);
    const tty = process.stderr.isTTY;
    const started = performance.now();
    let lastPrint = 0;
    const { had, added } = await fillCollection(
      backend,
      {
        name,
        size,
        dimension,
        metric,
        batch,
        M: positiveInt('m', values.m, 16, 2048),
        efConstruction: positiveInt('ef-construction', values['ef-construction'], 200, 65_536),
      },
      {
        created: (what) => console.error(`created ${what}`),
        flushing: () => console.error('flushing (seal segments / snapshot), building the index...'),
        resumed: (have) =>
          console.error(`${name} exists with ${have} rows: adding rows ${have}..${size - 1}`),
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
