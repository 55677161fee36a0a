import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { exactSearch, type Matches, MetricKind, ScalarKind } from 'usearch';
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
  b1: ScalarKind.B1,
};

/** The graph's own metric: bits compare by how many differ (answers are rescored in the collection's). */
function usearchMetric(shape: IndexShape): MetricKind {
  return shape.index.quantization === 'b1' ? MetricKind.Hamming : USEARCH_METRIC[shape.metric];
}

export interface IndexShape {
  dimension: number;
  metric: Metric;
  index: IndexParams;
}

/** usearch's native index, as its package's own wrapper builds it (node-gyp-build). */
interface NativeIndex {
  add(keys: BigUint64Array, vectors: Float32Array | Int8Array, threads: number): void;
  search(
    queries: Float32Array | Int8Array,
    k: number,
    threads: number,
  ): [BigUint64Array, Float32Array, BigUint64Array];
  remove(keys: BigUint64Array): void;
  size(): number;
  save(path: string): void;
  load(path: string): void;
  view(path: string): void;
}

type NativeBinding = {
  CompiledIndex: new (
    dimensions: number,
    metric: string,
    quantization: string,
    connectivity: number,
    expansionAdd: number,
    expansionSearch: number,
    multi: boolean,
  ) => NativeIndex;
};

/**
 * The binding the `usearch` package loads, reached directly: its wrapper turns
 * every vector into a Float32Array, and usearch then casts floats to int8 by
 * dividing each vector by its own length (x * 127 / |x|). That throws away an
 * L2 collection's magnitudes and leaves unit vectors' small components a few
 * of the 8 bits. Int8Array vectors go in as they are, so an int8 graph gets
 * codes quantized here, with a scale learned from the data. The wrapper's
 * checks (dimension, key types) are the callers' here: both are ours.
 */
const native = ((): NativeBinding => {
  const entry = createRequire(import.meta.url).resolve('usearch');
  const root = join(dirname(entry), '..', '..', '..');
  const binding = createRequire(entry)('node-gyp-build')(root) as Partial<NativeBinding>;
  if (typeof binding.CompiledIndex !== 'function')
    throw new Error(`usearch at ${root}: its native binding has no CompiledIndex`);
  return binding as NativeBinding;
})();

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
  readonly #index: NativeIndex;
  /** Keys removed from this graph since it was built (usearch keeps their slots). */
  removed = 0;
  /** How rows and queries become the graph's codes; null: learned from the first rows added. */
  #coding: GraphCoding | null;
  /** One query's codes, reused: searches on one thread run one at a time. */
  #scratch: Float32Array | Int8Array | null = null;

  /**
   * `coding`: the one the graph was built with (from its snapshot); absent:
   * learned from the first rows an empty graph takes (i8, b1) or floats.
   */
  constructor(shape: IndexShape, coding?: GraphCoding) {
    this.shape = shape;
    const q = shape.index.quantization;
    this.#coding = coding ?? (q === 'i8' || q === 'b1' ? null : { kind: 'floats' });
    if (q === 'b1' && shape.dimension % 8 !== 0)
      throw new RangeError(
        `b1 packs 8 dimensions a byte: ${shape.dimension} is not a multiple of 8`,
      );
    this.#index = new native.CompiledIndex(
      shape.dimension,
      usearchMetric(shape),
      USEARCH_SCALAR[q],
      shape.index.M,
      shape.index.efConstruction,
      1,
      false,
    );
  }

  get size(): number {
    return this.#index.size();
  }

  /** How the graph makes its codes (null: not learned yet); a copy loaded from its file needs it. */
  get coding(): GraphCoding | null {
    return this.#coding;
  }

  /** Adds rows; bulk adds use every core (a few rows are not worth the thread start-up). */
  add(firstSlot: number, vectors: Float32Array): void {
    const n = vectors.length / this.shape.dimension;
    if (n === 0) return;
    const keys = new BigUint64Array(n);
    for (let i = 0; i < n; i++) keys[i] = BigInt(firstSlot + i);
    this.#index.add(keys, this.#rowsAsStored(vectors), n >= 64 ? 0 : 1);
  }

  /** Adds rows whose slots are not contiguous (a rebuild skipping deleted rows). */
  addKeyed(slots: readonly number[], vectors: Float32Array): void {
    if (slots.length === 0) return;
    this.#index.add(
      BigUint64Array.from(slots, BigInt),
      this.#rowsAsStored(vectors),
      slots.length >= 64 ? 0 : 1,
    );
  }

  /** Rows as the graph stores them: an empty i8/b1 graph learns its coding from the first. */
  #rowsAsStored(vectors: Float32Array): Float32Array | Int8Array {
    this.#coding ??= learnCoding(this.shape, vectors);
    return encode(this.#coding, vectors);
  }

  /** A query as the graph compares it. */
  #queryAsStored(q: Float32Array): Float32Array | Int8Array {
    const c = this.#coding;
    if (c === null || c.kind === 'floats' || c.kind === 'usearch-i8') return q;
    if (this.#scratch?.length !== q.length)
      this.#scratch = c.kind === 'i8' ? new Int8Array(q.length) : new Float32Array(q.length);
    return encode(c, q, this.#scratch);
  }

  remove(slots: readonly number[]): void {
    if (slots.length === 0) return;
    this.#index.remove(BigUint64Array.from(slots, BigInt));
    this.removed += slots.length;
  }

  /** Up to `k` nearest slots, closest first, with usearch's distances. */
  search(q: Float32Array, k: number): { keys: BigUint64Array; distances: Float32Array } {
    const [keys, distances, counts] = this.#index.search(this.#queryAsStored(q), k, 1);
    const n = Number(counts[0]);
    return { keys: keys.subarray(0, n), distances: distances.subarray(0, n) };
  }

  /**
   * Several queries (row-major) in one call, on this thread (usearch refuses
   * more search threads than the last add reserved): `k` slots per query, closest first.
   */
  searchBatch(queries: Float32Array, k: number): { keys: BigUint64Array; counts: BigUint64Array } {
    const codes = this.#coding === null ? queries : encode(this.#coding, queries);
    const [keys, , counts] = this.#index.search(codes, k, 1);
    return { keys, counts };
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
 * How a graph turns float32 rows and queries into what usearch stores:
 * - floats: as they are (f32, f16: usearch converts);
 * - i8: round(x * scale * 127), clamped to [-127, 127]; the scale maps a high
 *   quantile of |component| to 1. One factor for every component keeps the
 *   order of L2, inner-product and cosine results;
 * - usearch-i8: usearch's own cast (x * 127 / |x|), what int8 graphs written
 *   before learned scales hold: it loses an L2 collection's magnitudes and
 *   leaves unit vectors' small components a few of the 8 bits;
 * - b1: the sign of each component after subtracting the mean row (bits
 *   compared by Hamming distance): centred, a bit says which side of the
 *   data's centre a vector lies on, not which side of 0 that every
 *   component of a shifted data set shares.
 * Distances users see are exact ones from the raw vectors (the collection
 * rescores every quantized graph's candidates).
 */
export type GraphCoding =
  | { kind: 'floats' }
  | { kind: 'i8'; scale: number }
  | { kind: 'usearch-i8' }
  | { kind: 'b1'; mean: Float32Array };

/** The coding an empty graph learns from the first rows it takes. */
function learnCoding(shape: IndexShape, vectors: Float32Array): GraphCoding {
  switch (shape.index.quantization) {
    case 'i8':
      return { kind: 'i8', scale: learnInt8Scale(vectors, shape.dimension) };
    case 'b1':
      return { kind: 'b1', mean: meanRow(vectors, shape.dimension) };
    default:
      return { kind: 'floats' };
  }
}

/** Rows (or one query) in the graph's coding; `out` is reused when given. */
function encode(
  c: GraphCoding,
  vectors: Float32Array,
  out?: Float32Array | Int8Array,
): Float32Array | Int8Array {
  if (c.kind === 'i8') return int8Codes(vectors, c.scale, out as Int8Array | undefined);
  if (c.kind !== 'b1') return vectors;
  const centred = (out as Float32Array | undefined) ?? new Float32Array(vectors.length);
  const dim = c.mean.length;
  for (let i = 0; i < vectors.length; i++) centred[i] = vectors[i]! - c.mean[i % dim]!;
  return centred;
}

/** The mean of the rows (a sample of up to 64k of them, evenly spaced). */
export function meanRow(vectors: Float32Array, dimension: number): Float32Array {
  const rows = Math.floor(vectors.length / dimension);
  const step = Math.max(1, Math.floor(rows / 65_536));
  const sum = new Float64Array(dimension);
  let n = 0;
  for (let r = 0; r < rows; r += step, n++)
    for (let i = 0; i < dimension; i++) sum[i]! += vectors[r * dimension + i]!;
  return Float32Array.from(sum, (x) => (n > 0 ? x / n : 0));
}

/** The share of components a learned int8 scale keeps inside [-1, 1] (the rest saturate at +-127). */
const SCALE_QUANTILE = 0.9999;
/** About how many components are sampled to learn it (whole rows, evenly spaced). */
const SCALE_SAMPLE = 1 << 18;

/**
 * The factor that maps the `SCALE_QUANTILE` quantile of |component| over
 * `vectors` to 1, as scalar quantizers learn their range: the few larger
 * components saturate, the rest use the int8 range. 1 when the rows carry no
 * magnitude (all zero) or nothing finite to learn from.
 */
export function learnInt8Scale(vectors: Float32Array, dimension: number): number {
  // Whole rows, evenly spaced: every component position is sampled alike.
  const rows = Math.floor(vectors.length / dimension);
  const rowStep = Math.max(1, Math.floor(rows / Math.ceil(SCALE_SAMPLE / dimension)));
  const sample: number[] = [];
  for (let r = 0; r < rows; r += rowStep)
    for (let i = r * dimension; i < (r + 1) * dimension; i++) sample.push(Math.abs(vectors[i]!));
  const sorted = Float64Array.from(sample).sort();
  const at = sorted[Math.min(sorted.length - 1, Math.floor(SCALE_QUANTILE * sorted.length))] ?? 0;
  return at > 0 && Number.isFinite(1 / at) ? 1 / at : 1;
}

/** round(x * scale * 127), clamped to int8's symmetric range. */
function int8Codes(
  vectors: Float32Array,
  scale: number,
  out: Int8Array = new Int8Array(vectors.length),
): Int8Array {
  const f = scale * 127;
  for (let i = 0; i < vectors.length; i++) {
    const c = Math.round(vectors[i]! * f);
    out[i] = c > 127 ? 127 : c < -127 ? -127 : c;
  }
  return out;
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
    String(usearchMetric(shape)),
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
