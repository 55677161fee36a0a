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

export interface SloVerdict {
  pass: boolean;
  terms: { text: string; actual: number; limit: number; pass: boolean }[];
}

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
