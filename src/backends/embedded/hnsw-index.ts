import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import {
  type BatchMatches,
  exactSearch,
  Index,
  type Matches,
  MetricKind,
  ScalarKind,
} from 'usearch';
import type { IndexParams, Metric, Quantization } from '../../core/types.ts';

const USEARCH_METRIC: Record<Metric, MetricKind> = {
  L2: MetricKind.L2sq,
  IP: MetricKind.IP,
  COSINE: MetricKind.Cos,
};

const USEARCH_SCALAR: Record<Quantization, ScalarKind> = {
  f32: ScalarKind.F32,
  f16: ScalarKind.F16,
  i8: ScalarKind.I8,
};

export interface IndexShape {
  dimension: number;
  metric: Metric;
  index: IndexParams;
}

/**
 * The HNSW graph of one collection (usearch), keyed by row slot.
 *
 * usearch's search breadth is max(expansion_search, k), and expansion_search
 * is taken from the constructor (not from a saved file), so the index is built
 * with the smallest breadth and every search asks for k = max(topK, ef): a
 * per-request `ef` is then honoured in both directions.
 */
export class HnswIndex {
  readonly shape: IndexShape;
  readonly #index: Index;
  /** Keys removed from this graph since it was built (usearch keeps their slots). */
  removed = 0;

  constructor(shape: IndexShape) {
    this.shape = shape;
    this.#index = new Index({
      dimensions: shape.dimension,
      metric: USEARCH_METRIC[shape.metric],
      quantization: USEARCH_SCALAR[shape.index.quantization],
      connectivity: shape.index.M,
      expansion_add: shape.index.efConstruction,
      expansion_search: 1,
      multi: false,
    });
  }

  get size(): number {
    return this.#index.size();
  }

  /** Adds rows; bulk adds use every core (a few rows are not worth the thread start-up). */
  add(firstSlot: number, vectors: Float32Array): void {
    const n = vectors.length / this.shape.dimension;
    if (n === 0) return;
    const keys = new BigUint64Array(n);
    for (let i = 0; i < n; i++) keys[i] = BigInt(firstSlot + i);
    this.#index.add(keys, vectors, n >= 64 ? 0 : 1);
  }

  /** Adds rows whose slots are not contiguous (a rebuild skipping deleted rows). */
  addKeyed(slots: readonly number[], vectors: Float32Array): void {
    if (slots.length === 0) return;
    this.#index.add(BigUint64Array.from(slots, BigInt), vectors, slots.length >= 64 ? 0 : 1);
  }

  remove(slots: readonly number[]): void {
    if (slots.length === 0) return;
    this.#index.remove(BigUint64Array.from(slots, BigInt));
    this.removed += slots.length;
  }

  /** Up to `k` nearest slots, closest first, with usearch's distances. */
  search(q: Float32Array, k: number): { keys: BigUint64Array; distances: Float32Array } {
    return this.#index.search(q, k, 1);
  }

  /**
   * Several queries (row-major) in one call, on this thread (usearch refuses
   * more search threads than the last add reserved): `k` slots per query, closest first.
   */
  searchBatch(
    queries: Float32Array,
    k: number,
  ): { keys: BigUint64Array; counts: ArrayLike<number | bigint> } {
    const found = this.#index.search(queries, k, 1) as BatchMatches | Matches;
    // One query comes back as plain Matches, without counts.
    return 'counts' in found ? found : { keys: found.keys, counts: [found.keys.length] };
  }

  save(path: string): void {
    this.#index.save(path);
  }

  /** Reads the file into memory (mutable). */
  load(path: string): void {
    this.#index.load(path);
  }

  /** Memory-maps the file read-only: processes viewing one file share its pages. */
  view(path: string): void {
    this.#index.view(path);
  }
}

/**
 * The `k` nearest of `count` vectors (row-major in `dataset`) to `q`, exactly,
 * with usearch's SIMD kernels and the graph's own distance: indices into
 * `dataset`, closest first.
 */
export function exactNearest(
  metric: Metric,
  dataset: Float32Array,
  count: number,
  q: Float32Array,
  k: number,
): { keys: BigUint64Array; distances: Float32Array } {
  if (count === 0 || k === 0)
    return { keys: new BigUint64Array(0), distances: new Float32Array(0) };
  const dim = q.length;
  // usearch's exact search reads a typed array from the start of its buffer, ignoring its
  // offset: a query that is a view into a batch's buffer must be copied (found by the
  // micro-batcher's test: batched answers came out for the batch's first query).
  const query = q.byteOffset === 0 ? q : q.slice();
  const rows = dataset.byteOffset === 0 ? dataset : dataset.slice(0, count * dim);
  const found = exactSearch(
    rows.subarray(0, count * dim),
    query,
    dim,
    Math.min(k, count),
    USEARCH_METRIC[metric],
    1,
  ) as Matches;
  return { keys: found.keys, distances: found.distances };
}

export type VerifyResult = { ok: true; ms: number } | { ok: false; reason: string; ms: number };

const USEARCH_ENTRY = createRequire(import.meta.url).resolve('usearch');

// Runs in a child process: a file usearch cannot read aborts the process that
// reads it (SIGABRT in native code), which must never be the server.
const VERIFY_SCRIPT = `
const [entry, path, dim, metric, scalar, M, expected] = process.argv.slice(1);
const { Index } = await import(entry);
const index = new Index({ dimensions: +dim, metric, quantization: scalar,
  connectivity: +M, expansion_add: 16, expansion_search: 16, multi: false });
index.view(path);
if (index.size() !== +expected) { console.log('holds ' + index.size() + ' vectors, expected ' + expected); process.exit(3); }
if (+expected > 0) index.search(new Float32Array(+dim), 1, 1);
process.exit(0);
`;

/**
 * Opens `path` in a separate process exactly as a worker would (view + one
 * search) and checks it holds `expectedSize` vectors. Nothing is switched in
 * before this passes.
 */
export function verifyIndexFile(
  path: string,
  shape: IndexShape,
  expectedSize: number,
): Promise<VerifyResult> {
  const started = performance.now();
  const args = [
    '--input-type=module',
    '-e',
    VERIFY_SCRIPT,
    USEARCH_ENTRY,
    path,
    String(shape.dimension),
    String(USEARCH_METRIC[shape.metric]),
    String(USEARCH_SCALAR[shape.index.quantization]),
    String(shape.index.M),
    String(expectedSize),
  ];
  return new Promise((resolve) => {
    execFile(process.execPath, args, { timeout: 120_000 }, (err, stdout, stderr) => {
      const ms = Math.round(performance.now() - started);
      if (!err) return resolve({ ok: true, ms });
      const e = err as { signal?: string | null; code?: number | string };
      const why = (stdout.trim() || stderr.trim().split('\n').slice(-1)[0] || '').slice(0, 300);
      const how = e.signal ? `killed by ${e.signal}` : `exit ${e.code}`;
      resolve({ ok: false, reason: `${how}${why ? `: ${why}` : ''}`, ms });
    });
  });
}
