import autocannon from 'autocannon';
import { type LittlesLawCheck, littlesLaw } from '../analysis/littles-law.ts';
import { type GeneratorHealth, monitorGenerator } from './generator-monitor.ts';
import { type LatencySummary, latencyHistogram, summarize } from './latency.ts';

/** One concurrency level of a closed-loop sweep. */
export interface SweepLevel {
  concurrency: number;
  durationSeconds: number;
  requests: number;
  qps: number;
  latency: LatencySummary;
  errors: {
    /** Non-2xx answers by status code. */
    byStatus: Record<string, number>;
    timeouts: number;
    connectionErrors: number;
  };
  failureRate: number;
  littlesLaw: LittlesLawCheck;
  generator: GeneratorHealth;
}

export interface SweepOptions {
  url: string;
  path: string;
  bodies: string[];
  levels: number[];
  durationSeconds: number;
  warmupSeconds: number;
  timeoutSeconds?: number;
  onProgress?: (message: string) => void;
}

/**
 * Closed loop on autocannon's programmatic API: `concurrency` connections,
 * each sending its next request as soon as the previous one is answered.
 * Every request carries another held-out vector; each connection starts at a
 * random offset into them. Latency is recorded from autocannon's per-response
 * timing into an HDR histogram in microseconds (autocannon's own histogram
 * has 1 ms resolution and no p95).
 */
export async function runLevel(
  opts: SweepOptions,
  concurrency: number,
  seconds: number,
): Promise<SweepLevel> {
  const n = opts.bodies.length;
  const requests = Array.from({ length: n }, () => ({
    method: 'POST' as const,
    // biome-ignore lint/suspicious/noExplicitAny: autocannon's per-connection context
    setupRequest: (req: any, context: any) => {
      context.offset ??= Math.floor(Math.random() * n);
      context.k = (context.k ?? 0) + 1;
      return { ...req, body: opts.bodies[(context.offset + context.k) % n] };
    },
  }));
  const histogram = latencyHistogram();
  const monitor = monitorGenerator();
  let done!: (r: autocannon.Result) => void;
  let failed!: (e: Error) => void;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    done = resolve;
    failed = reject;
  });
  const instance = autocannon(
    {
      url: `${opts.url}${opts.path}`,
      connections: concurrency,
      duration: seconds,
      timeout: opts.timeoutSeconds ?? 10,
      headers: { 'content-type': 'application/json' },
      requests,
    },
    (err, result) => (err ? failed(err) : done(result)),
  );
  instance.on(
    'response',
    (_client: unknown, status: number, _bytes: number, responseTimeMs: number) => {
      if (status >= 200 && status < 300)
        histogram.recordValue(Math.max(1, Math.round(responseTimeMs * 1000)));
    },
  );
  const result = await finished;
  const generator = monitor.stop();
  const latency = summarize(histogram);
  histogram.destroy();
  const byStatus: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) {
    if (!code.startsWith('2')) byStatus[code] = (stat as { count: number }).count;
  }
  const ok = latency.count;
  const attempted = result.requests.total + result.errors;
  // Over the run's real span (autocannon's start to finish), not the nominal duration.
  const elapsedSeconds =
    result.finish && result.start
      ? (new Date(result.finish).getTime() - new Date(result.start).getTime()) / 1000
      : seconds;
  const qps = ok / Math.max(elapsedSeconds, 0.001);
  return {
    concurrency,
    durationSeconds: elapsedSeconds,
    requests: result.requests.total,
    qps,
    latency,
    errors: {
      byStatus,
      timeouts: result.timeouts,
      connectionErrors: Math.max(0, result.errors - result.timeouts),
    },
    failureRate: attempted > 0 ? (attempted - ok) / attempted : 0,
    littlesLaw: littlesLaw(concurrency, latency.meanMs, qps),
    generator,
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
