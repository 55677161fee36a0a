import { z } from 'zod';
/**
 * Universal Scalability Law: X(N) = lambda N / (1 + sigma (N - 1) + kappa N (N - 1)).
 * sigma: contention (serial share), kappa: coherency (crosstalk). Peak at
 * N* = sqrt((1 - sigma) / kappa).
 *
 * Fit: for fixed (sigma, kappa) the best lambda is linear least squares in
 * closed form, so only two parameters are searched: a coarse grid (sigma
 * linear, kappa logarithmic), then a shrinking pattern search around the best
 * cell. Deterministic, no dependencies, fine for the 5-20 points of a sweep.
 */
export const uslFitSchema = z.object({
  lambda: z.number(),
  sigma: z.number(),
  kappa: z.number(),
  /** Concurrency of peak throughput; null when kappa = 0 (no retrograde region). */
  peakConcurrency: z.number().nullable(),
  peakQps: z.number().nullable(),
  /** Coefficient of determination of the fit on the measured QPS. */
  r2: z.number(),
  /** Root mean square error (QPS). */
  rmse: z.number(),
});
export type UslFit = z.infer<typeof uslFitSchema>;

export function uslThroughput(
  n: number,
  p: { lambda: number; sigma: number; kappa: number },
): number {
  return (p.lambda * n) / (1 + p.sigma * (n - 1) + p.kappa * n * (n - 1));
}

function bestLambda(ns: number[], xs: number[], sigma: number, kappa: number) {
  let num = 0;
  let den = 0;
  for (let i = 0; i < ns.length; i++) {
    const n = ns[i]!;
    const f = n / (1 + sigma * (n - 1) + kappa * n * (n - 1));
    num += xs[i]! * f;
    den += f * f;
  }
  const lambda = den > 0 ? num / den : 0;
  let sse = 0;
  for (let i = 0; i < ns.length; i++) {
    const e = xs[i]! - uslThroughput(ns[i]!, { lambda, sigma, kappa });
    sse += e * e;
  }
  return { lambda, sse };
}

export function fitUsl(points: { concurrency: number; qps: number }[]): UslFit | null {
  const p = points.filter((q) => q.concurrency > 0 && Number.isFinite(q.qps));
  if (p.length < 3) return null;
  const ns = p.map((q) => q.concurrency);
  const xs = p.map((q) => q.qps);
  let best = { sigma: 0, logKappa: -Infinity, sse: Infinity, lambda: 0 };
  const consider = (sigma: number, logKappa: number) => {
    if (sigma < 0 || sigma > 1) return;
    const kappa = Number.isFinite(logKappa) ? 10 ** logKappa : 0;
    if (kappa > 1) return;
    const { lambda, sse } = bestLambda(ns, xs, sigma, kappa);
    if (sse < best.sse) best = { sigma, logKappa, sse, lambda };
  };
  for (let i = 0; i <= 100; i++) {
    const sigma = i / 100;
    consider(sigma, -Infinity);
    for (let j = 0; j <= 140; j++) consider(sigma, -8 + j * (8 / 140));
  }
  // Pattern search around the best grid cell.
  let stepSigma = 0.01;
  let stepLog = 8 / 140;
  for (let iter = 0; iter < 200 && (stepSigma > 1e-7 || stepLog > 1e-6); iter++) {
    const before = best.sse;
    const base = { ...best };
    const logK = Number.isFinite(base.logKappa) ? base.logKappa : -8;
    for (const [ds, dk] of [
      [stepSigma, 0],
      [-stepSigma, 0],
      [0, stepLog],
      [0, -stepLog],
    ] as const) {
      consider(base.sigma + ds, logK + dk);
    }
    if (best.sse >= before) {
      stepSigma /= 2;
      stepLog /= 2;
    }
  }
  const kappa = Number.isFinite(best.logKappa) ? 10 ** best.logKappa : 0;
  const params = { lambda: best.lambda, sigma: best.sigma, kappa };
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sst = xs.reduce((a, x) => a + (x - mean) ** 2, 0);
  const peakConcurrency = kappa > 0 ? Math.sqrt((1 - params.sigma) / kappa) : null;
  return {
    ...params,
    peakConcurrency,
    peakQps: peakConcurrency ? uslThroughput(peakConcurrency, params) : null,
    r2: sst > 0 ? 1 - best.sse / sst : 1,
    rmse: Math.sqrt(best.sse / xs.length),
  };
}
