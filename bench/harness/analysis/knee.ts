import { z } from 'zod';
/** A point of a concurrency sweep. */
export interface SweepPoint {
  concurrency: number;
  qps: number;
  p95Ms: number;
  p99Ms?: number;
}

export const kneeResultSchema = z.object({
  /** The seeds' rule: the last level before QPS gains < 10% while p95 rises > 50%. */
  seedsRule: z.number().nullable(),
  /** Kneedle: the level farthest above the chord of the normalized QPS-vs-concurrency curve. */
  kneedle: z.number().nullable(),
  /** Kleinrock's power: the level with the highest QPS / p95. */
  bestByQpsOverP95: z.number().nullable(),
});
export type KneeResult = z.infer<typeof kneeResultSchema>;

export function seedsRuleKnee(
  points: SweepPoint[],
  qpsGain = 0.1,
  latencyRise = 0.5,
): number | null {
  const p = [...points].sort((a, b) => a.concurrency - b.concurrency);
  for (let i = 1; i < p.length; i++) {
    const prev = p[i - 1]!;
    const cur = p[i]!;
    const gain = prev.qps > 0 ? (cur.qps - prev.qps) / prev.qps : 0;
    const rise = prev.p95Ms > 0 ? (cur.p95Ms - prev.p95Ms) / prev.p95Ms : 0;
    if (gain < qpsGain && rise > latencyRise) return prev.concurrency;
  }
  return null;
}

/**
 * Kneedle (Satopaa et al. 2011) on a concave increasing curve: normalize both
 * axes to [0, 1] and take the point with the largest y - x. Robust to level
 * spacing and needs no thresholds. Null when the curve has no knee (y <= x
 * everywhere, e.g. still linear).
 */
export function kneedle(points: SweepPoint[]): number | null {
  const p = [...points].sort((a, b) => a.concurrency - b.concurrency);
  if (p.length < 3) return null;
  const x0 = p[0]!.concurrency;
  const x1 = p[p.length - 1]!.concurrency;
  const ys = p.map((q) => q.qps);
  const y0 = Math.min(...ys);
  const y1 = Math.max(...ys);
  if (x1 === x0 || y1 === y0) return null;
  let best: number | null = null;
  let bestDiff = 0.05; // below this the curve is too straight to call a knee
  for (const q of p) {
    const diff = (q.qps - y0) / (y1 - y0) - (q.concurrency - x0) / (x1 - x0);
    if (diff > bestDiff) {
      bestDiff = diff;
      best = q.concurrency;
    }
  }
  return best;
}

export function bestByPower(points: SweepPoint[]): number | null {
  let best: SweepPoint | null = null;
  for (const q of points) {
    if (q.p95Ms <= 0) continue;
    if (!best || q.qps / q.p95Ms > best.qps / best.p95Ms) best = q;
  }
  return best?.concurrency ?? null;
}

export function findKnee(points: SweepPoint[]): KneeResult {
  return {
    seedsRule: seedsRuleKnee(points),
    kneedle: kneedle(points),
    bestByQpsOverP95: bestByPower(points),
  };
}
