/**
 * Which query each request sends (`--queries`): `uniform:N` (N distinct
 * queries, each as likely), `zipf:S:N` (N distinct, the k-th most popular
 * asked ~1/k^S as often, as hot items are), or `repeat:P` (a share P of
 * requests repeat one of 100 hot queries, the rest never repeat). A mix draws
 * ranks; the caller turns a rank into a body (mixBodies), so 100,000
 * distinct queries cost no memory until asked.
 */
export interface QueryMix {
  describe: string;
  /** The rank of the next request's query. */
  nextRank(): number;
}

/** The help text of every load command's --queries option. */
export const QUERIES_HELP =
  'which query each request sends: uniform:N, zipf:S:N (N distinct, Zipf exponent S) or repeat:P (share P repeat 100 hot queries, the rest never repeat); default: cycle through 1,000 held-out queries';

/**
 * Bodies for a mix's draws: `bodyOf(rank)` makes one, and the most recently
 * drawn are kept so a hot query is not rebuilt (or re-serialised) for every request.
 */
export function mixBodies(
  mix: QueryMix,
  bodyOf: (rank: number) => string,
  keep = 20_000,
): () => string {
  const kept = new Map<number, string>();
  return () => {
    const rank = mix.nextRank();
    let b = kept.get(rank);
    if (b === undefined) {
      b = bodyOf(rank);
      kept.set(rank, b);
      if (kept.size > keep) kept.delete(kept.keys().next().value!);
    }
    return b;
  };
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

export function parseQueryMix(spec: string, seed = 1): QueryMix {
  const rnd = mulberry32(seed);
  const [kind, a, b] = spec.split(':');
  if (kind === 'uniform') {
    const n = Number(a);
    if (!Number.isInteger(n) || n < 1) throw new Error(`uniform:N needs N >= 1, got "${spec}"`);
    return { describe: `uniform over ${n}`, nextRank: () => Math.floor(rnd() * n) };
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
    return { describe: `zipf s=${s} over ${n}`, nextRank: draw };
  }
  if (kind === 'repeat') {
    const p = Number(a);
    if (!(p >= 0 && p <= 1)) throw new Error(`repeat:P needs 0 <= P <= 1, got "${spec}"`);
    // Fresh queries take ranks past the hot ones, never drawn twice, from an offset of this
    // run's own: a second run against the same server must not find the first one's in its cache.
    let fresh = 100 + Math.floor(Math.random() * 1e8);
    return {
      describe: p === 0 ? 'no repeats' : `${Math.round(p * 100)}% repeats of 100 hot queries`,
      nextRank: () => (rnd() < p ? Math.floor(rnd() * 100) : fresh++),
    };
  }
  throw new Error(`--queries must be uniform:N, zipf:S:N or repeat:P, got "${spec}"`);
}
