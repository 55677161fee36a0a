import { SeededRandom } from './random.ts';

export interface SyntheticOptions {
  dimension: number;
  /** Vectors cluster around this many centres, like real embeddings do. @default 64 */
  clusters?: number;
  /** Spread around a centre, relative to the centre's norm. @default 0.6 */
  spread?: number;
  seed: number;
}

/**
 * Generates unit-length vectors around seeded cluster centres. The centres depend
 * only on (dimension, clusters, centreSeed), so a query stream built with another
 * `seed` but the same centres is held out from, yet distributed like, the data.
 */
export class SyntheticVectors {
  readonly dimension: number;
  readonly #centres: Float32Array[];
  readonly #spread: number;
  readonly #rng: SeededRandom;

  constructor(opts: SyntheticOptions, centreSeed = 42) {
    this.dimension = opts.dimension;
    this.#spread = opts.spread ?? 0.6;
    const centreRng = new SeededRandom(centreSeed);
    const clusters = opts.clusters ?? 64;
    this.#centres = Array.from({ length: clusters }, () => {
      const c = new Float32Array(opts.dimension);
      for (let i = 0; i < c.length; i++) c[i] = centreRng.gaussian();
      return normalize(c);
    });
    this.#rng = new SeededRandom(opts.seed);
  }

  next(): Float32Array {
    const centre = this.#centres[this.#rng.int(this.#centres.length)]!;
    const v = new Float32Array(this.dimension);
    const noise = this.#spread / Math.sqrt(this.dimension);
    for (let i = 0; i < v.length; i++) v[i] = centre[i]! + this.#rng.gaussian() * noise;
    return normalize(v);
  }

  /** A uniform draw from the generator's own stream (for scalar fields). */
  uniform(): number {
    return this.#rng.next();
  }
}

export function normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const n = Math.sqrt(s) || 1;
  for (let i = 0; i < v.length; i++) v[i] = v[i]! / n;
  return v;
}
