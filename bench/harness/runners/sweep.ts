import autocannon from 'autocannon';
import { Pool } from 'undici';
import { type LittlesLawCheck, littlesLaw } from '../analysis/littles-law.ts';
import { type GeneratorHealth, monitorGenerator } from './generator-monitor.ts';
import { type LatencySummary, latencyHistogram, summarize } from './latency.ts';
import { failedOutcome } from './open-loop.ts';

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
    /** autocannon only: requests it cut when the level ended (not the server's doing). */
    cutAtEnd?: number;
  };
  failureRate: number;
  generatorName?: SweepGenerator;
  littlesLaw: LittlesLawCheck;
  generator: GeneratorHealth;
}

/**
 * The closed loop's client. `undici` (the default): this project's loop over
 * undici's Pool, which lets the requests in flight at the end of a level
 * finish. `autocannon`: the widely used Node generator, which ends a level by
 * destroying its sockets mid-request (the server logs client disconnects and
 * the cut requests count as errors here, as `cutAtEnd`). Both run in this
 * process; `bench -- sweep --generator` picks one, and docs/bench-harness.md
 * has the two measured side by side.
 */
export type SweepGenerator = 'undici' | 'autocannon';

export interface SweepOptions {
  generator?: SweepGenerator;
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
  const n = opts.bodies.length;
  const timeoutMs = (opts.timeoutSeconds ?? 10) * 1000;
  const url = new URL(opts.url);
  const pool = new Pool(url.origin, { connections: concurrency, pipelining: 1 });
  const histogram = latencyHistogram();
  const monitor = monitorGenerator();
  const byStatus: Record<string, number> = {};
  let ok = 0;
  let attempted = 0;
  let timeouts = 0;
  let connectionErrors = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  const client = async () => {
    let k = Math.floor(Math.random() * n);
    while (performance.now() < end) {
      const body = opts.bodies[k++ % n]!;
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
        await res.body.dump();
        if (res.statusCode >= 200 && res.statusCode < 300) {
          ok++;
          histogram.recordValue(Math.max(1, Math.round((performance.now() - started) * 1000)));
        } else byStatus[res.statusCode] = (byStatus[res.statusCode] ?? 0) + 1;
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
    errors: { byStatus, timeouts, connectionErrors },
    failureRate: attempted > 0 ? (attempted - ok) / attempted : 0,
    littlesLaw: littlesLaw(concurrency, latency.meanMs, qps),
    generator,
    generatorName: 'undici',
  };
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
    requests: [{ setupRequest: (req) => ({ ...req, body: opts.bodies[k++ % n] }) }],
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
