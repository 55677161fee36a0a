import { z } from 'zod';
/**
 * SLO rules such as `p99<100ms,errors<0.1%`: latency terms (p50, p90, p95,
 * p99, p999, max, mean) in ms / s / us, and `errors` as a percentage of
 * requests. Every term must hold.
 */
export type LatencyStat = 'p50' | 'p90' | 'p95' | 'p99' | 'p999' | 'max' | 'mean';

export interface SloTerm {
  metric: LatencyStat | 'errors';
  /** ms for latency, a fraction (0.001 = 0.1%) for errors. */
  limit: number;
  text: string;
}

export const sloVerdictSchema = z.object({
  pass: z.boolean(),
  terms: z.array(
    z.object({ text: z.string(), actual: z.number(), limit: z.number(), pass: z.boolean() }),
  ),
});
export type SloVerdict = z.infer<typeof sloVerdictSchema>;

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000 };

export function parseSlo(rule: string): SloTerm[] {
  const terms = rule
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (terms.length === 0) throw new Error('empty SLO rule: expected e.g. p99<100ms,errors<0.1%');
  return terms.map((text) => {
    const latency = /^(p50|p90|p95|p99|p999|max|mean)\s*<\s*([\d.]+)\s*(us|ms|s)$/.exec(text);
    if (latency) {
      return {
        metric: latency[1] as LatencyStat,
        limit: Number(latency[2]) * UNIT_MS[latency[3]!]!,
        text,
      };
    }
    const errors = /^errors\s*<\s*([\d.]+)\s*%$/.exec(text);
    if (errors) return { metric: 'errors' as const, limit: Number(errors[1]) / 100, text };
    throw new Error(
      `bad SLO term "${text}": expected <p50|p90|p95|p99|p999|max|mean><N(us|ms|s)> or errors<N%`,
    );
  });
}

export function judge(
  terms: SloTerm[],
  measured: Record<LatencyStat, number> & { errorRate: number },
): SloVerdict {
  const results = terms.map((t) => {
    const actual = t.metric === 'errors' ? measured.errorRate : measured[t.metric];
    return { text: t.text, actual, limit: t.limit, pass: actual < t.limit };
  });
  return { pass: results.every((r) => r.pass), terms: results };
}

/** The figures a command recorded; a threshold on one it did not record fails, saying so. */
export function partialSloView(
  ms: { p50?: number; p95?: number; p99?: number; max?: number; mean?: number },
  errorRate: number,
) {
  const v = (x: number | undefined) => (x === undefined ? Number.NaN : x);
  return {
    p50: v(ms.p50),
    p90: Number.NaN,
    p95: v(ms.p95),
    p99: v(ms.p99),
    p999: Number.NaN,
    max: v(ms.max),
    mean: v(ms.mean),
    errorRate,
  };
}
