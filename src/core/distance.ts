import type { Metric } from './types.ts';

/**
 * Scores in Milvus's convention, so both backends answer alike: L2 is the
 * squared Euclidean distance (lower is closer); IP and COSINE are similarities
 * (higher is closer).
 */
export function score(metric: Metric, a: Float32Array, b: Float32Array, bOffset = 0): number {
  const n = a.length;
  if (metric === 'L2') {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const d = a[i]! - b[bOffset + i]!;
      s += d * d;
    }
    return s;
  }
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[bOffset + i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  if (metric === 'IP') return dot;
  const denom = Math.sqrt(na) * Math.sqrt(nb);
  return denom === 0 ? 0 : dot / denom;
}

/** True when score `a` ranks before score `b` under the metric. */
export function closerFirst(metric: Metric): (a: number, b: number) => number {
  return metric === 'L2' ? (a, b) => a - b : (a, b) => b - a;
}
