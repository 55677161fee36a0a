import {
  hugePagesProblem,
  readMounts,
} from '../../../../src/backends/embedded/huge-page-graphs.ts';
import { INDEX_TYPES, type IndexType } from '../../../../src/core/types.ts';
import { type Command, list, num, str, UsageError, type Values } from '../../command-line.ts';
import { askedGenerator } from '../../commands/common.ts';
import { OWN_SERVER_LEVEL_OPTIONS } from '../../commands/server-options.ts';
import { envelope } from '../../envelope.ts';
import { runScale, SCALE_MODES, type ScaleMode } from '../../runners/scale.ts';
import { runMilvusScale } from '../../runners/scale-milvus.ts';
import { defaultSweepGenerator, type SweepGenerator } from '../../runners/sweep.ts';
import type { ScaleRun } from './result.ts';

function hugePagesDirProblem(dir: string): string | null {
  const mounts = readMounts();
  return mounts === null ? 'no /proc/mounts to check it against' : hugePagesProblem(dir, mounts);
}

function generatorOf(values: Values): SweepGenerator {
  const asked = askedGenerator(values, ['wrk', 'undici']);
  return asked === 'auto' ? defaultSweepGenerator() : asked;
}

/** The store at scale: build, restart, memory per worker, recall and HTTP figures. */
export const scaleCommand: Command = {
  name: 'scale',
  thresholds: false,
  summary:
    'the store at scale (default 1M x 512): build, restart, memory per worker, recall vs ef, HTTP QPS/p99 per quantization',
  defaultOut: (values) =>
    `bench/results/scale-${values.backend === 'milvus' ? `milvus-${values.index === 'HNSW' ? '' : `${String(values.index).toLowerCase()}-`}` : ''}${values.rows}.json`,
  options: {
    rows: { type: 'string', default: '1000000', help: 'vectors' },
    dimension: { type: 'string', default: '512', help: 'their dimension' },
    quantizations: {
      type: 'string',
      default: 'f32,f16,i8',
      help: `embedded graphs built, one after the other (${SCALE_MODES.join(', ')}; i8-usearch: int8 by usearch's own cast, the fixed scale)`,
    },
    'ef-construction': {
      type: 'string',
      default: '200',
      help: 'embedded graphs: build breadth (HNSW efConstruction; 100 with f16 built 2.6x faster at 100k, same recall)',
    },
    backend: { type: 'string', default: 'embedded', help: 'embedded or milvus' },
    'recall-queries': { type: 'string', default: '1000', help: 'held-out queries for recall' },
    k: { type: 'string', default: '10', help: 'recall@k' },
    ef: { type: 'string', default: '16,32,64,128,256', help: 'search breadths (HNSW ef)' },
    oversampling: {
      type: 'string',
      default: '1',
      help: 'f16/i8 graphs: candidates per hit rescored exactly, crossed with --ef (e.g. 1,2,4)',
    },
    'recall-target': {
      type: 'string',
      default: '0.95',
      help: 'the HTTP sweep searches at the fastest measured setting with at least this recall@k',
    },
    index: {
      type: 'string',
      default: 'HNSW',
      help: `--backend milvus: the index built (${INDEX_TYPES.join(', ')})`,
    },
    nlist: { type: 'string', default: '1024', help: 'IVF_*: clusters' },
    'pq-m': {
      type: 'string',
      default: '64',
      help: 'IVF_PQ: sub-quantizers (divides the dimension)',
    },
    'search-values': {
      type: 'string',
      help: "values of the index type's search parameter for the recall curve (default: --ef for HNSW, nprobe 4..128 for IVF_*, search_list 16..256 for DISKANN)",
    },
    'search-threads': {
      type: 'string',
      default: 'auto',
      help: 'the HTTP sweep once per SEARCH_THREADS value, e.g. auto,2 (auto: the server picks, 1 for one process on 2 cores)',
    },
    'queue-target': {
      type: 'string',
      default: '0.25',
      help: "the server's QUEUE_TARGET in seconds: a closed loop of c clients holds a standing queue of c / throughput (67 ms at c=100 and 1,500/s), which the default 0.05 s sheds by design; the sweep measures capacity, the overload bench admission",
    },
    'keep-stores': {
      type: 'boolean',
      default: false,
      help: 'keep each built store under --work-dir (store-<mode>) for later runs',
    },
    'reuse-stores': {
      type: 'boolean',
      default: false,
      help: 'search a store kept by an earlier --keep-stores run instead of building it, when built for the same rows, dimension, mode and --ef-construction (its build figures and date are carried over; all else is measured again)',
    },
    'huge-pages-dir': {
      type: 'string',
      help: "the HTTP sweep also with the server's HUGE_PAGES_DIR set to this directory (a tmpfs mounted with huge=within_size), side by side with graphs mapped from the store",
    },
    'warm-vectors': {
      type: 'boolean',
      default: false,
      help: 'read the raw vectors file through before each HTTP level, so rescoring reads hit the page cache (else the level records what share was cached)',
    },
    generator: {
      type: 'string',
      default: 'auto',
      help: "the HTTP levels' client: wrk (a third of the undici loop's CPU, left to the server on a shared machine; auto picks it when installed) or undici (this process; every run before 2026-12-07 noon)",
    },
    'work-dir': { type: 'string', default: '.data/bench-scale', help: 'data kept across runs' },
    ...OWN_SERVER_LEVEL_OPTIONS,
  },
  async run(values, progress): Promise<ScaleRun> {
    const options = {
      rows: num(values, 'rows'),
      dimension: num(values, 'dimension'),
      quantizations: str(values, 'quantizations').split(',') as ScaleMode[],
      searchThreads: str(values, 'search-threads')
        .split(',')
        .map((t) => {
          const n = t.trim() === 'auto' ? -1 : Number(t);
          if (!(Number.isInteger(n) && n >= -1))
            throw new UsageError(`--search-threads: "${t}" is not auto or a whole number >= 0`);
          return n;
        }),
      queueTarget: num(values, 'queue-target'),
      keepStores: values['keep-stores'] === true,
      reuseStores: values['reuse-stores'] === true,
      warmVectors: values['warm-vectors'] === true,
      generator: generatorOf(values),
      ...(values['huge-pages-dir'] !== undefined && {
        hugePagesDir: str(values, 'huge-pages-dir'),
      }),
      efConstruction: num(values, 'ef-construction'),
      queries: num(values, 'recall-queries'),
      k: num(values, 'k'),
      efs: list(str(values, 'ef'), '--ef'),
      oversampling: list(str(values, 'oversampling'), '--oversampling'),
      recallTarget: num(values, 'recall-target'),
      levels: list(str(values, 'levels'), '--levels'),
      levelSeconds: num(values, 'level-seconds'),
      workDir: str(values, 'work-dir'),
      port: num(values, 'port'),
      log: progress,
    };
    for (const m of options.quantizations)
      if (!SCALE_MODES.includes(m))
        throw new UsageError(`--quantizations: ${m} is not one of ${SCALE_MODES.join(', ')}`);
    if (!(Number.isInteger(options.efConstruction) && options.efConstruction >= 1))
      throw new UsageError(
        `--ef-construction must be a positive integer, got ${values['ef-construction']}`,
      );
    // --backend milvus: the same data set in a real Milvus, through vecserve's Milvus backend.
    const type = str(values, 'index') as IndexType;
    if (!INDEX_TYPES.includes(type))
      throw new Error(`--index must be one of ${INDEX_TYPES.join(', ')}, got ${type}`);
    if (values.backend !== 'milvus' && type !== 'HNSW')
      throw new Error('--index: the embedded backend builds HNSW only');
    const searchValues =
      values['search-values'] !== undefined
        ? list(str(values, 'search-values'), '--search-values')
        : type.startsWith('IVF_')
          ? [4, 8, 16, 32, 64, 128]
          : type === 'DISKANN'
            ? [16, 32, 64, 128, 256]
            : options.efs;
    const figures =
      values.backend === 'milvus'
        ? {
            milvus: await runMilvusScale(
              { ...options, efs: searchValues },
              { type, nlist: num(values, 'nlist'), m: num(values, 'pq-m') },
            ),
          }
        : await runScale(options);
    const run = {
      ...envelope(
        'scale',
        values,
        null,
        `${options.rows} x ${options.dimension}, ${values.backend}${values.backend === 'milvus' ? ` ${type}` : ''}`,
      ),
      ...figures,
    };
    // A huge-pages comparison on a directory that gives 4 KiB pages compares a copy with the store.
    const problem = options.hugePagesDir ? hugePagesDirProblem(options.hugePagesDir) : null;
    if (problem) run.warnings.push(`--huge-pages-dir: ${problem}`);
    return run;
  },
};
