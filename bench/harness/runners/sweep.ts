import autocannon from 'autocannon';
import { Pool } from 'undici';
import { z } from 'zod';
import { littlesLaw, littlesLawCheckSchema } from '../analysis/littles-law.ts';
import { GENERATOR_LIMITS, generatorHealthSchema, monitorGenerator } from './generator-monitor.ts';
import {
  type LatencySummary,
  latencyHistogram,
  latencySummarySchema,
  summarize,
} from './latency.ts';
import { failedOutcome } from './open-loop.ts';
import { runWrk, wrkBinary } from './wrk.ts';

/** One concurrency level of a closed-loop sweep. */
export const sweepGeneratorSchema = z.enum(['wrk', 'undici', 'autocannon']);
export type SweepGenerator = z.infer<typeof sweepGeneratorSchema>;

export const sweepLevelSchema = z.object({
  concurrency: z.number(),
  durationSeconds: z.number(),
  requests: z.number(),
  qps: z.number(),
  latency: latencySummarySchema,
  errors: z.object({
    /** Non-2xx answers by status code. */
    byStatus: z.record(z.string(), z.number()),
    /** undici only: non-2xx answers by status, problem code and refusal reason ("503 overloaded (queue_full)"). */
    byProblem: z.record(z.string(), z.number()).optional(),
    timeouts: z.number(),
    connectionErrors: z.number(),
    /** autocannon only: requests it cut when the level ended (not the server's doing). */
    cutAtEnd: z.number().optional(),
  }),
  failureRate: z.number(),
  generatorName: sweepGeneratorSchema.optional(),
  littlesLaw: littlesLawCheckSchema,
  generator: generatorHealthSchema,
});
export type SweepLevel = z.infer<typeof sweepLevelSchema>;

/**
 * The closed loop's client (`bench -- sweep --generator`; docs/bench-harness.md
 * has the three measured side by side on one server):
 * - `wrk` (C, Debian's package; the default when installed): the least CPU per
 *   request (11-12% of a core at 5,000/s), so on a shared machine the server
 *   keeps the CPU a Node generator would take; microsecond HDR percentiles;
 * - `undici` (the fallback): this project's loop over undici's Pool in this
 *   process; it lets the requests in flight at the end of a level finish and
 *   records microseconds, but costs 3x wrk's CPU, and on 2 cores the server
 *   served 1.5-1.7x less to it than to wrk;
 * - `autocannon`: the widely used Node generator, slightly cheaper than the
 *   undici loop, but its latencies are whole milliseconds (p50 "0 ms" at c=1)
 *   and it ends a level by destroying its sockets mid-request (counted as
 *   `cutAtEnd`; the server logs client disconnects).
 */

export interface SweepOptions {
  generator?: SweepGenerator;
  url: string;
  path: string;
  bodies: string[];
  /** Draws each request's body (a --queries mix) instead of cycling through `bodies`. */
  nextBody?: () => string;
  levels: number[];
  durationSeconds: number;
  warmupSeconds: number;
  timeoutSeconds?: number;
  onProgress?: (message: string) => void;
}

/**
 * Closed loop: `concurrency` clients on as many keep-alive connections, each
 * sending its next request as soon as the previous one is answered. Every
 * request carries another held-out vector; each client starts at a random
 * offset into them. At the end of the level clients stop starting requests
 * and the ones in flight are awaited: the generator never cuts a request, so
 * the server sees no client disconnects it did not cause (autocannon, used
 * before, destroyed its sockets mid-request at the end of every level).
 * Latency is recorded per request in microseconds into an HDR histogram.
 */
export async function runLevel(
  opts: SweepOptions,
  concurrency: number,
  seconds: number,
): Promise<SweepLevel> {
  if (opts.generator === 'autocannon') return runAutocannonLevel(opts, concurrency, seconds);
  if (opts.generator === 'wrk') return runWrkLevel(opts, concurrency, seconds);
  const n = opts.bodies.length;
  const timeoutMs = (opts.timeoutSeconds ?? 10) * 1000;
  const url = new URL(opts.url);
  const pool = new Pool(url.origin, { connections: concurrency, pipelining: 1 });
  const histogram = latencyHistogram();
  const monitor = monitorGenerator();
  const byStatus: Record<string, number> = {};
  const byProblem: Record<string, number> = {};
  let ok = 0;
  let attempted = 0;
  let timeouts = 0;
  let connectionErrors = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  const client = async () => {
    let k = Math.floor(Math.random() * n);
    while (performance.now() < end) {
      const body = opts.nextBody ? opts.nextBody() : opts.bodies[k++ % n]!;
      const started = performance.now();
      attempted++;
      try {
        const res = await pool.request({
          path: `${url.pathname.replace(/\/$/, '')}${opts.path}`,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
        if (res.statusCode >= 200 && res.statusCode < 300) {
          await res.body.dump();
          ok++;
          histogram.recordValue(Math.max(1, Math.round((performance.now() - started) * 1000)));
        } else {
          byStatus[res.statusCode] = (byStatus[res.statusCode] ?? 0) + 1;
          // Which failure: the problem's code and, for a refusal, admission's reason.
          const problem = (await res.body.json().catch(() => null)) as {
            code?: string;
            reason?: string;
          } | null;
          const key = `${res.statusCode} ${problem?.code ?? 'no problem body'}${problem?.reason ? ` (${problem.reason})` : ''}`;
          byProblem[key] = (byProblem[key] ?? 0) + 1;
        }
      } catch (err) {
        if (failedOutcome(err) === 'timeout') timeouts++;
        else connectionErrors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  const elapsedSeconds = (performance.now() - t0) / 1000;
  await pool.close();
  const generator = monitor.stop();
  const latency = summarize(histogram);
  histogram.destroy();
  // Over the run's real span (first send to last answer), not the nominal duration.
  const qps = ok / Math.max(elapsedSeconds, 0.001);
  return {
    concurrency,
    durationSeconds: elapsedSeconds,
    requests: attempted,
    qps,
    latency,
    errors: { byStatus, byProblem, timeouts, connectionErrors },
    failureRate: attempted > 0 ? (attempted - ok) / attempted : 0,
    littlesLaw: littlesLaw(concurrency, latency.meanMs, qps),
    generator,
    generatorName: 'undici',
  };
}

/** One level driven by wrk (its own process: its CPU is what it reports, not this process's). */
async function runWrkLevel(
  opts: SweepOptions,
  concurrency: number,
  seconds: number,
): Promise<SweepLevel> {
  const url = new URL(opts.url);
  const r = await runWrk({
    url: url.origin,
    path: `${url.pathname.replace(/\/$/, '')}${opts.path}`,
    bodies: opts.bodies,
    connections: concurrency,
    seconds,
    timeoutSeconds: opts.timeoutSeconds ?? 10,
  });
  const l = r.latencyMs;
  const latency: LatencySummary = {
    count: r.ok,
    meanMs: l.mean,
    stdMs: l.std,
    minMs: l.min,
    p50Ms: l.p50,
    p90Ms: l.p90,
    p95Ms: l.p95,
    p99Ms: l.p99,
    p999Ms: l.p999,
    maxMs: l.max,
  };
  const qps = r.okPerSecond;
  const attempted = r.requests + r.socketErrors;
  return {
    concurrency,
    durationSeconds: r.seconds,
    requests: attempted,
    qps,
    latency,
    // wrk counts non-2xx answers without their status.
    errors: {
      byStatus: r.non2xx > 0 ? { non2xx: r.non2xx } : {},
      timeouts: 0,
      connectionErrors: r.socketErrors,
    },
    failureRate: attempted > 0 ? (attempted - r.ok) / attempted : 0,
    littlesLaw: littlesLaw(concurrency, latency.meanMs, qps),
    generator: {
      cpuPercent: r.generatorCpuPercent,
      eventLoopDelayP99Ms: 0,
      eventLoopDelayMaxMs: 0,
      trustworthy: r.generatorCpuPercent < GENERATOR_LIMITS.cpuPercent,
      reasons:
        r.generatorCpuPercent < GENERATOR_LIMITS.cpuPercent
          ? []
          : [`wrk used ${r.generatorCpuPercent}% of its core`],
    },
    generatorName: 'wrk',
  };
}

/** wrk when it is installed, else the undici loop (the run says which it used). */
export function defaultSweepGenerator(): SweepGenerator {
  try {
    wrkBinary();
    return 'wrk';
  } catch {
    return 'undici';
  }
}

/** One level driven by autocannon (its own HDR histogram, in milliseconds). */
async function runAutocannonLevel(
  opts: SweepOptions,
  concurrency: number,
  seconds: number,
): Promise<SweepLevel> {
  const n = opts.bodies.length;
  let k = Math.floor(Math.random() * n);
  const url = new URL(opts.url);
  const monitor = monitorGenerator();
  const t0 = performance.now();
  const r = await autocannon({
    url: `${url.origin}${url.pathname.replace(/\/$/, '')}${opts.path}`,
    method: 'POST',
    connections: concurrency,
    duration: seconds,
    timeout: opts.timeoutSeconds ?? 10,
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (req) => ({
          ...req,
          body: opts.nextBody ? opts.nextBody() : opts.bodies[k++ % n],
        }),
      },
    ],
  });
  const elapsedSeconds = (performance.now() - t0) / 1000;
  const generator = monitor.stop();
  const ok = r['2xx'];
  const byStatus: Record<string, number> = {};
  for (const [code, count] of Object.entries(r.statusCodeStats ?? {})) {
    if (!code.startsWith('2')) byStatus[code] = (count as { count: number }).count;
  }
  // autocannon counts what it cut at the end as errors (its sockets destroyed).
  const attempted = ok + r.non2xx + r.errors;
  const qps = ok / Math.max(r.duration || elapsedSeconds, 0.001);
  const l = r.latency;
  const latency: LatencySummary = {
    count: ok,
    meanMs: l.average,
    stdMs: l.stddev,
    minMs: l.min,
    p50Ms: l.p50,
    p90Ms: l.p90,
    p95Ms: l.p97_5, // autocannon reports p97.5, not p95: the nearest it has
    p99Ms: l.p99,
    p999Ms: l.p99_9,
    maxMs: l.max,
  };
  return {
    concurrency,
    durationSeconds: elapsedSeconds,
    requests: attempted,
    qps,
    latency,
    errors: {
      byStatus,
      timeouts: r.timeouts,
      connectionErrors: Math.max(0, r.errors - r.timeouts),
      cutAtEnd: Math.min(concurrency, Math.max(0, r.errors - r.timeouts)),
    },
    failureRate: attempted > 0 ? (attempted - ok) / attempted : 0,
    littlesLaw: littlesLaw(concurrency, latency.meanMs, qps),
    generator,
    generatorName: 'autocannon',
  };
}

export async function sweep(opts: SweepOptions): Promise<SweepLevel[]> {
  const levels: SweepLevel[] = [];
  for (const c of opts.levels) {
    if (opts.warmupSeconds > 0) {
      opts.onProgress?.(`c=${c}: warm-up ${opts.warmupSeconds} s`);
      await runLevel(opts, c, opts.warmupSeconds);
    }
    opts.onProgress?.(`c=${c}: measuring ${opts.durationSeconds} s`);
    const level = await runLevel(opts, c, opts.durationSeconds);
    opts.onProgress?.(
      `c=${c}: ${Math.round(level.qps)} QPS, p50 ${level.latency.p50Ms} ms, p99 ${level.latency.p99Ms} ms, ` +
        `failures ${(level.failureRate * 100).toFixed(2)}%${level.generator.trustworthy ? '' : ' [generator saturated]'}`,
    );
    levels.push(level);
  }
  return levels;
}
