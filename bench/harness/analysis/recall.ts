/** recall@k: the share of the true k nearest neighbours that the served top k contains. */
export function recallAtK(served: string[], truth: string[], k: number): number {
  const want = new Set(truth.slice(0, k));
  if (want.size === 0) return 1;
  let hit = 0;
  for (const id of served.slice(0, k)) if (want.has(id)) hit++;
  return hit / want.size;
}

export function meanRecall(served: string[][], truth: string[][], k: number): number {
  if (served.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < served.length; i++) sum += recallAtK(served[i]!, truth[i]!, k);
  return sum / served.length;
}

/** Exact k nearest neighbours by squared L2 distance (ground truth by brute force). */
export function exactKnnL2(
  base: Float32Array[],
  ids: string[],
  queries: Float32Array[],
  k: number,
): string[][] {
  return queries.map((q) => {
    const best: { d: number; i: number }[] = [];
    for (let i = 0; i < base.length; i++) {
      const v = base[i]!;
      let d = 0;
      for (let j = 0; j < q.length; j++) {
        const t = q[j]! - v[j]!;
        d += t * t;
      }
      if (best.length < k || d < best[best.length - 1]!.d) {
        best.push({ d, i });
        best.sort((a, b) => a.d - b.d);
        if (best.length > k) best.pop();
      }
    }
    return best.map((b) => ids[b.i]!);
  });
}
