import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exactSearch, MetricKind } from 'usearch';
import { makeDirs } from '../../../src/core/make-dirs.ts';
import type { CollectionSpec, Quantization } from '../../../src/core/types.ts';
import { SyntheticVectors } from '../../../src/data/synthetic-vectors.ts';

export const SCALE_COLLECTION = 'scale';

/** The scale collection on either backend: the embedded defaults' graph, L2, two fields. */
export function scaleSpec(
  dimension: number,
  quantization: Quantization = 'f32',
  efConstruction = 200,
): CollectionSpec {
  return {
    name: SCALE_COLLECTION,
    dimension,
    metric: 'L2',
    fields: [
      { name: 'category', type: 'string' },
      { name: 'price', type: 'float' },
    ],
    index: { M: 16, efConstruction, efSearch: 64, quantization },
  };
}

/**
 * The scale data set: 4,096 cluster centres with a wide spread (1.5), so that
 * neighbours are not trivially found (recall@10 at ef 64 is about 0.9 at 50k
 * rows, against 0.999 for the demo set's 64 tight clusters).
 */
export function scaleGenerator(dimension: number, seed: number): SyntheticVectors {
  return new SyntheticVectors({ dimension, seed, clusters: 4096, spread: 1.5 });
}

export interface ScaleData {
  vectors: Float32Array;
  queries: Float32Array;
  queriesPath: string;
  /** Exact top-k slots per query (row i is id `v-i`). */
  truth: Uint32Array;
  k: number;
}

/** Rows, held-out queries and exact ground truth, cached under `dir`. */
export function scaleData(
  dir: string,
  rows: number,
  dimension: number,
  queries: number,
  k: number,
  log: (m: string) => void,
): ScaleData {
  makeDirs(dir);
  const base = join(dir, `${rows}x${dimension}`);
  const load = (p: string) => {
    const b = readFileSync(p);
    return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  };
  let vectors: Float32Array;
  if (existsSync(`${base}.f32`)) vectors = load(`${base}.f32`);
  else {
    log(`generating ${rows} x ${dimension} vectors`);
    const gen = scaleGenerator(dimension, 1);
    vectors = new Float32Array(rows * dimension);
    for (let i = 0; i < rows; i++) vectors.set(gen.next(), i * dimension);
    writeFileSync(`${base}.f32`, new Uint8Array(vectors.buffer));
  }
  const queriesPath = `${base}.q${queries}.f32`;
  let q: Float32Array;
  if (existsSync(queriesPath)) q = load(queriesPath);
  else {
    const gen = scaleGenerator(dimension, 2);
    q = new Float32Array(queries * dimension);
    for (let i = 0; i < queries; i++) q.set(gen.next(), i * dimension);
    writeFileSync(queriesPath, new Uint8Array(q.buffer));
  }
  const truthPath = `${base}.q${queries}.top${k}.u32`;
  let truth: Uint32Array;
  if (existsSync(truthPath)) {
    const b = readFileSync(truthPath);
    truth = new Uint32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  } else {
    log(`exact top-${k} of ${queries} queries over ${rows} rows`);
    const r = exactSearch(vectors, q, dimension, k, MetricKind.L2sq);
    truth = Uint32Array.from(r.keys, Number);
    writeFileSync(truthPath, new Uint8Array(truth.buffer));
  }
  return { vectors, queries: q, queriesPath, truth, k };
}
