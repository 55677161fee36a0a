/**
 * Per-second figures of a run (Locust's stats_history, k6's time series):
 * what was offered and sent, what completed and how fast, errors by kind and
 * what was in flight; plus the server's own figures sampled from /v1/stats
 * each second (CPU, RSS, event-loop lag, admission queue), so a report can
 * say what the bottleneck was.
 */

import { z } from 'zod';
import { percentileOrNull, round } from '../../../src/core/statistics.ts';

export const serverSampleSchema = z.object({
  cpuPercent: z.number().nullable(),
  rssMb: z.number().nullable(),
  eventLoopLagMs: z.number().nullable(),
  admissionInFlight: z.number().nullable(),
  admissionQueued: z.number().nullable(),
  /** Backend connection pool (Milvus): clients lent out, and calls waiting for one (absent in runs before the pool was sampled). */
  poolBorrowed: z.number().nullable().optional(),
  poolWaiting: z.number().nullable().optional(),
  /** Result cache (RESULT_CACHE on): hits / (hits + misses) since the previous sample. */
  cacheHitRatio: z.number().nullable().optional(),
});
export type ServerSample = z.infer<typeof serverSampleSchema>;

export const secondFiguresSchema = z.object({
  second: z.number(),
  offered: z.number(),
  sent: z.number(),
  completed: z.number(),
  ok: z.number(),
  p50Ms: z.number().nullable(),
  p95Ms: z.number().nullable(),
  p99Ms: z.number().nullable(),
  errors: z.record(z.string(), z.number()),
  inFlight: z.number(),
  server: serverSampleSchema.nullable(),
});
export type SecondFigures = z.infer<typeof secondFiguresSchema>;

export class TimeSeries {
  readonly #offered: number[] = [];
  readonly #sent: number[] = [];
  readonly #ok: number[][] = [];
  readonly #errors: Record<string, number>[] = [];
  readonly #inFlight: number[] = [];
  readonly #server: (ServerSample | null)[] = [];

  offered(second: number): void {
    this.#offered[second] = (this.#offered[second] ?? 0) + 1;
  }
  sent(second: number): void {
    this.#sent[second] = (this.#sent[second] ?? 0) + 1;
  }
  completed(second: number, outcome: string, latencyMs: number): void {
    if (outcome.startsWith('2')) {
      this.#ok[second] ??= [];
      this.#ok[second].push(latencyMs);
    } else {
      this.#errors[second] ??= {};
      const e = this.#errors[second];
      e[outcome] = (e[outcome] ?? 0) + 1;
    }
  }
  sample(second: number, inFlight: number, server: ServerSample | null): void {
    this.#inFlight[second] = inFlight;
    this.#server[second] = server;
  }

  /** How many seconds have figures. */
  get length(): number {
    return Math.max(this.#offered.length, this.#sent.length, this.#ok.length, this.#errors.length);
  }

  /** One second's figures (sorts only that second's latencies: cheap enough to call every second). */
  row(second: number): SecondFigures {
    const pct = (xs: number[], q: number) => {
      const v = percentileOrNull(xs, q);
      return v === null ? null : round(v);
    };
    const ok = (this.#ok[second] ?? []).sort((a, b) => a - b);
    const errors = this.#errors[second] ?? {};
    const failed = Object.values(errors).reduce((a, b) => a + b, 0);
    return {
      second,
      offered: this.#offered[second] ?? 0,
      sent: this.#sent[second] ?? 0,
      completed: ok.length + failed,
      ok: ok.length,
      p50Ms: pct(ok, 0.5),
      p95Ms: pct(ok, 0.95),
      p99Ms: pct(ok, 0.99),
      errors,
      inFlight: this.#inFlight[second] ?? 0,
      server: this.#server[second] ?? null,
    };
  }

  rows(): SecondFigures[] {
    return Array.from({ length: this.length }, (_, second) => this.row(second));
  }
}

/** Samples the server's /v1/stats; CPU% from the change in its CPU seconds. */
export function serverSampler(url: string): () => Promise<ServerSample | null> {
  let last: { cpuSeconds: number; at: number } | null = null;
  // Cache counters per worker (pid): behind a balancer each sample may come from another one.
  const lastCache = new Map<number, { hits: number; misses: number }>();
  const hitRatio = (pid: number, c: { hits: number; sharedHits: number; misses: number }) => {
    const now = { hits: c.hits + c.sharedHits, misses: c.misses };
    const before = lastCache.get(pid);
    lastCache.set(pid, now);
    if (!before) return null;
    const looked = now.hits - before.hits + now.misses - before.misses;
    return looked > 0 ? Math.round(((now.hits - before.hits) / looked) * 1000) / 1000 : null;
  };
  return async () => {
    try {
      const res = await fetch(`${url}/v1/stats`, { signal: AbortSignal.timeout(500) });
      if (!res.ok) return null;
      const s = (await res.json()) as {
        process?: { pid: number; cpuSeconds: number; rssBytes: number };
        admission?: {
          eventLoop?: { lagMs: number } | null;
          concurrency?: { inFlight: number; queued: number } | null;
        } | null;
        pool?: { size: number; borrowed: number; waiting: number } | null;
        resultCache?: { hits: number; sharedHits: number; misses: number } | null;
      };
      const now = performance.now();
      let cpuPercent: number | null = null;
      if (s.process && last)
        cpuPercent = Math.round(
          ((s.process.cpuSeconds - last.cpuSeconds) / ((now - last.at) / 1000)) * 100,
        );
      if (s.process) last = { cpuSeconds: s.process.cpuSeconds, at: now };
      return {
        cpuPercent,
        rssMb: s.process ? Math.round(s.process.rssBytes / 1e6) : null,
        eventLoopLagMs: s.admission?.eventLoop?.lagMs ?? null,
        admissionInFlight: s.admission?.concurrency?.inFlight ?? null,
        admissionQueued: s.admission?.concurrency?.queued ?? null,
        poolBorrowed: s.pool?.borrowed ?? null,
        poolWaiting: s.pool?.waiting ?? null,
        cacheHitRatio: s.resultCache && s.process ? hitRatio(s.process.pid, s.resultCache) : null,
      };
    } catch {
      return null; // the server is too busy to answer its stats: that is a figure too (null)
    }
  };
}

/**
 * What limited the run, from what was measured, each with its figure:
 * the generator, the server's CPU or event loop, the server refusing,
 * timeouts (backend-bound), or nothing found.
 */
export function bottlenecks(
  rows: SecondFigures[],
  run: {
    achievedSendRate: number;
    targetRate: number;
    late: number;
    sent: number;
    byOutcome: Record<string, number>;
    generatorCpuPercent: number;
  },
): string[] {
  const out: string[] = [];
  if (
    run.achievedSendRate < run.targetRate * 0.97 ||
    run.late > run.sent * 0.01 ||
    run.generatorCpuPercent > 90
  )
    out.push(
      `generator-bound: it sent ${Math.round(run.achievedSendRate)}/s of ${Math.round(run.targetRate)}/s asked, ${run.late} sends late, at ${run.generatorCpuPercent}% of a core`,
    );
  const cpu = rows
    .map((r) => r.server?.cpuPercent)
    .filter((x): x is number => typeof x === 'number');
  const busy = cpu.filter((x) => x >= 90).length;
  if (cpu.length > 0 && busy >= cpu.length / 2)
    out.push(
      `server CPU saturated: at or above 90% of a core in ${busy} of ${cpu.length} seconds (max ${Math.max(...cpu)}%)`,
    );
  const lag = rows
    .map((r) => r.server?.eventLoopLagMs)
    .filter((x): x is number => typeof x === 'number');
  if (lag.length > 0 && Math.max(...lag) > 50)
    out.push(`event loop blocked: lag up to ${Math.round(Math.max(...lag))} ms`);
  const total = Object.values(run.byOutcome).reduce((a, b) => a + b, 0) || 1;
  const refused = (run.byOutcome['429'] ?? 0) + (run.byOutcome['503'] ?? 0);
  if (refused / total > 0.01)
    out.push(
      `server refusing: ${((refused / total) * 100).toFixed(1)}% answered 429/503 (admission control or an open breaker)`,
    );
  const timeouts = (run.byOutcome.timeout ?? 0) + (run.byOutcome['504'] ?? 0);
  if (timeouts / total > 0.001)
    out.push(
      `backend-bound or stalled: ${timeouts} requests timed out (${((timeouts / total) * 100).toFixed(2)}%)`,
    );
  const waiting = rows
    .map((r) => r.server?.poolWaiting)
    .filter((x): x is number => typeof x === 'number');
  const starved = waiting.filter((x) => x > 0).length;
  if (waiting.length > 0 && starved >= Math.max(1, waiting.length / 4))
    out.push(
      `connection pool exhausted: calls waited for a backend client in ${starved} of ${waiting.length} seconds (up to ${Math.max(...waiting)} waiting; MILVUS_POOL_MAX)`,
    );
  const unanswered = rows.filter((r) => r.server === null).length;
  if (rows.length > 0 && unanswered > rows.length / 2)
    out.push(
      `server stats unanswered in ${unanswered} of ${rows.length} seconds: too busy to answer, or not a vecserve server`,
    );
  if (out.length === 0) out.push('no bottleneck reached: the server kept up with what was offered');
  return out;
}
