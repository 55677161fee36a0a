/**
 * Which query each request sends: `uniform:N` (N distinct queries, each as
 * likely), `zipf:S:N` (N distinct, the k-th most popular asked ~1/k^S as often,
 * as hot items are), or `repeat:P` (a share P of requests repeat one of 100 hot
 * queries, the rest never repeat). Queries are made on demand from their rank,
 * so 100,000 distinct queries cost no memory until asked; the most recent
 * bodies are kept so a hot query is not rebuilt for every request.
 */
export interface QueryMix {
  describe: string;
  /** The body of the next request. */
  next(): string;
  /** Distinct queries that can be asked. */
  distinct: number;
}

function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The body of query `rank`: a deterministic vector of `dimension` components. */
export function queryBody(rank: number, dimension: number, topK = 10): string {
  const rnd = mulberry32(0x9e3779b9 ^ (rank * 2654435761));
  const parts = new Array<string>(dimension);
  for (let i = 0; i < dimension; i++) parts[i] = (rnd() * 2 - 1).toFixed(4);
  return `{"vector":[${parts.join(',')}],"topK":${topK}}`;
}

export function parseQueryMix(spec: string, dimension: number, seed = 1): QueryMix {
  const rnd = mulberry32(seed);
  const cache = new Map<number, string>();
  const body = (rank: number) => {
    let b = cache.get(rank);
    if (b === undefined) {
      b = queryBody(rank, dimension);
      cache.set(rank, b);
      if (cache.size > 20_000) cache.delete(cache.keys().next().value!);
    }
    return b;
  };
  const [kind, a, b] = spec.split(':');
  if (kind === 'uniform') {
    const n = Number(a);
    if (!Number.isInteger(n) || n < 1) throw new Error(`uniform:N needs N >= 1, got "${spec}"`);
    return { describe: `uniform over ${n}`, distinct: n, next: () => body(Math.floor(rnd() * n)) };
  }
  if (kind === 'zipf') {
    const s = Number(a);
    const n = Number(b);
    if (!(s > 0) || !Number.isInteger(n) || n < 1)
      throw new Error(`zipf:S:N needs S > 0 and N >= 1, got "${spec}"`);
    // Cumulative weights, then a binary search per draw.
    const cdf = new Float64Array(n);
    let total = 0;
    for (let k = 0; k < n; k++) {
      total += 1 / (k + 1) ** s;
      cdf[k] = total;
    }
    const draw = () => {
      const u = rnd() * total;
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cdf[mid]! < u) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    return { describe: `zipf s=${s} over ${n}`, distinct: n, next: () => body(draw()) };
  }
  if (kind === 'repeat') {
    const p = Number(a);
    if (!(p >= 0 && p <= 1)) throw new Error(`repeat:P needs 0 <= P <= 1, got "${spec}"`);
    let fresh = 1_000_000;
    return {
      describe: `${Math.round(p * 100)}% repeats of 100 hot queries`,
      distinct: Number.POSITIVE_INFINITY,
      next: () => (rnd() < p ? body(Math.floor(rnd() * 100)) : queryBody(fresh++, dimension)),
    };
  }
  throw new Error(`--queries must be uniform:N, zipf:S:N or repeat:P, got "${spec}"`);
}
