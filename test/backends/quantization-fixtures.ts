/**
 * The data and store helpers the quantized-graph tests share (int8-scale,
 * binary-quantization): clustered unit vectors as one row-major matrix, their
 * exact top 10, rows for a write, and the manifest a collection is open at.
 */
import { join } from 'node:path';
import type { EmbeddedBackend } from '../../src/backends/embedded/embedded-backend.ts';
import {
  currentSnapshot,
  type Manifest,
  readManifest,
} from '../../src/backends/embedded/snapshot.ts';
import type { Row } from '../../src/core/types.ts';
import { SyntheticVectors } from '../../src/data/synthetic-vectors.ts';

export const DIM = 256;

/**
 * `n` unit vectors around 6 centres (components near 1/16), row-major; `offset`
 * is then added to every component (a data set off the origin).
 */
export function unitVectors(n: number, seed: number, offset = (_i: number) => 0): Float32Array {
  const gen = new SyntheticVectors({ dimension: DIM, seed, clusters: 6, spread: 1.2 });
  const out = new Float32Array(n * DIM);
  for (let r = 0; r < n; r++) {
    const v = gen.next();
    const norm = Math.hypot(...v);
    for (let i = 0; i < DIM; i++) out[r * DIM + i] = v[i]! / norm + offset(i);
  }
  return out;
}

/** Row `i` of a row-major matrix (a view). */
export const row = (m: Float32Array, i: number) => m.subarray(i * DIM, (i + 1) * DIM);

export const l2 = (a: Float32Array, b: Float32Array) =>
  a.reduce((s, x, i) => s + (x - b[i]!) ** 2, 0);

/** The exact 10 nearest rows of `data` (indices, closest first) to each of `queries`. */
export function exactTop10(data: Float32Array, queries: Float32Array): number[][] {
  const n = data.length / DIM;
  return Array.from({ length: queries.length / DIM }, (_, qi) =>
    Array.from({ length: n }, (_, i) => ({ i, d: l2(row(data, i), row(queries, qi)) }))
      .sort((a, b) => a.d - b.d)
      .slice(0, 10)
      .map((x) => x.i),
  );
}

/** Rows `from` to `from + count` of `m` as a write's rows, ids `<prefix><index>`. */
export function rowsOf(m: Float32Array, prefix: string, from: number, count: number): Row[] {
  return Array.from({ length: count }, (_, j) => ({
    id: `${prefix}${from + j}`,
    vector: Array.from(row(m, from + j)),
    fields: {},
  }));
}

/** Writes every row of `m` (ids `r<index>`) in batches of `batch`. */
export async function writeAll(b: EmbeddedBackend, m: Float32Array, batch: number): Promise<void> {
  const n = m.length / DIM;
  for (let i = 0; i < n; i += batch)
    await b.write('items', rowsOf(m, 'r', i, Math.min(batch, n - i)), { mode: 'insert' });
}

/** The directory of the snapshot collection `items` in `dataDir` is open at, and its manifest. */
export function currentManifest(dataDir: string): { dir: string; manifest: Manifest } {
  const collectionDir = join(dataDir, 'collections', 'items');
  const dir = join(collectionDir, currentSnapshot(collectionDir)!);
  return { dir, manifest: readManifest(dir) };
}
