import { Pool } from 'undici';
import { z } from 'zod';
import { generatorHealthSchema, monitorGenerator } from './generator-monitor.ts';
import { latencyHistogram, latencySummarySchema, summarize } from './latency.ts';
import { ScenarioTally, scenarioStatsSchema } from './scenario-tally.ts';

export type { ScenarioStats } from './scenario-tally.ts';

import {
  bottlenecks,
  type SecondFigures,
  secondFiguresSchema,
  serverSampler,
  TimeSeries,
} from './time-series.ts';

/**
 * Open-loop load: request i is due at its scheduled time whatever the server
 * does, and its latency counts from that intended time (no coordinated
 * omission: a stall shows in every request due meanwhile). Microsecond HDR
 * histograms. Sends more than `lateMs` behind schedule are counted as late;
 * when `maxInFlight` requests are outstanding, due sends are dropped and
 * counted as failures instead of piling up in the generator.
 */
export const stageSchema = z.union([
  z.object({ rate: z.number(), seconds: z.number() }),
  z.object({ from: z.number(), to: z.number(), seconds: z.number() }),
]);
export type Stage = z.infer<typeof stageSchema>;

export interface OpenLoopOptions {
  url: string;
  stages: Stage[];
  /** Picks the i-th request: its path, body and scenario label. */
  request: (i: number) => {
    path: string;
    body: string;
    scenario?: string;
    /** Extra request headers (an API key, say). */
    headers?: Record<string, string>;
  };
  connections?: number;
  timeoutMs?: number;
  lateMs?: number;
  maxInFlight?: number;
  onProgress?: (message: string) => void;
  /** Sample the server's /v1/stats every second (default true). */
  sampleServer?: boolean;
  /** Called once a second with that second's figures (the live view). */
  onSecond?: (row: SecondFigures) => void;
  /**
   * Read the problem+json `detail` of every non-2xx answer and count them
   * (digits as #), so a test can say who refused: nginx or a worker, and why.
   */
  failureDetails?: boolean;
}

export const openLoopResultSchema = z.object({
  intended: z.number(),
  sent: z.number(),
  late: z.number(),
  dropped: z.number(),
  durationSeconds: z.number(),
  targetRate: z.number(),
  achievedSendRate: z.number(),
  okPerSecond: z.number(),
  errorRate: z.number(),
  /** Latency of successful (2xx) requests from their intended send time. */
  latency: latencySummarySchema,
  /** Latency of every answered request, refusals and errors included. */
  latencyAll: latencySummarySchema,
  /** Answers (any outcome, failures included) that came more than 1 s after their intended send (absent in runs before it was counted). */
  overOneSecond: z.number().optional(),
  /** Latency of refusals (429 and 503): how fast overload is turned away. */
  refused: latencySummarySchema,
  byOutcome: z.record(z.string(), z.number()),
  scenarios: z.record(z.string(), scenarioStatsSchema),
  generator: generatorHealthSchema,
  /** Per second of the run: offered, sent, completed, latency, errors, in flight, server samples. */
  timeSeries: z.array(secondFiguresSchema),
  /** Per stage of a stage shape: offered and achieved rates, p99, errors. */
  stages: z.array(
    z.object({
      stage: z.number(),
      seconds: z.number(),
      offeredPerSecond: z.number(),
      okPerSecond: z.number(),
      p99Ms: z.number().nullable(),
      errors: z.number(),
    }),
  ),
  /** What limited the run, from the measurements. */
  bottlenecks: z.array(z.string()),
  /** With `failureDetails`: non-2xx answers by status and detail (digits as #). */
  failureDetails: z.record(z.string(), z.number()).optional(),
});
export type OpenLoopResult = z.infer<typeof openLoopResultSchema>;

/** The `detail` of a problem+json body, digits as # (so counts group by reason); else its start. */
function problemDetail(text: string): string {
  let detail = text.slice(0, 120);
  try {
    const parsed = JSON.parse(text) as { detail?: unknown };
    if (typeof parsed.detail === 'string') detail = parsed.detail;
  } catch {
    // not JSON: keep the text's start
  }
  return detail.replace(/\d+(\.\d+)?/g, '#');
}

/** A request that got no answer: undici's header/body timeouts, or the connection failing. */
export function failedOutcome(err: unknown): 'timeout' | 'connection_error' {
  const e = err as { code?: string; name?: string };
  return /timeout/i.test(e.code ?? e.name ?? '') ? 'timeout' : 'connection_error';
}

/** Intended send times (ms from start) of every request of the stages. */
export function schedule(stages: Stage[]): number[] {
  const times: number[] = [];
  let offset = 0;
  for (const s of stages) {
    const T = s.seconds * 1000;
    if ('rate' in s) {
      const n = Math.round(s.rate * s.seconds);
      for (let i = 0; i < n; i++) times.push(offset + (i * 1000) / s.rate);
    } else {
      // Linear ramp r(t) = a + (b - a) t / T (per ms); requests due where the
      // cumulative count a t + (b - a) t^2 / 2T reaches i.
      const a = s.from / 1000;
      const b = s.to / 1000;
      const n = Math.round(((s.from + s.to) / 2) * s.seconds);
      const k = (b - a) / (2 * T);
      for (let i = 0; i < n; i++) {
        const t = Math.abs(k) < 1e-12 ? i / a : (-a + Math.sqrt(a * a + 4 * k * i)) / (2 * k);
        times.push(offset + t);
      }
    }
    offset += T;
  }
  return times;
}

export async function openLoop(opts: OpenLoopOptions): Promise<OpenLoopResult> {
  const times = schedule(opts.stages);
  const durationMs = opts.stages.reduce((a, s) => a + s.seconds * 1000, 0);
  const lateMs = opts.lateMs ?? 5;
  const maxInFlight = opts.maxInFlight ?? 20_000;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const pool = new Pool(opts.url, { connections: opts.connections ?? 256, pipelining: 1 });
  const okHist = latencyHistogram();
  const allHist = latencyHistogram();
  const refusedHist = latencyHistogram();
  const scenarios = new ScenarioTally();
  const byOutcome: Record<string, number> = {};
  const failureDetails: Record<string, number> = {};
  let sent = 0;
  let late = 0;
  let dropped = 0;
  let inFlight = 0;
  const pending = new Set<Promise<void>>();
  const monitor = monitorGenerator();
  const sample = opts.sampleServer === false ? null : serverSampler(opts.url);
  await sample?.(); // primes the CPU counter: the first second then has a CPU figure
  const t0 = performance.now();
  let next = 0;
  let lastProgress = t0;

  const series = new TimeSeries();
  for (const t of times) series.offered(Math.floor(t / 1000));
  let sampling = true;
  let published = -1;
  const sampler = (async () => {
    for (let second = 0; sampling; second++) {
      const due = t0 + (second + 1) * 1000;
      await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
      if (!sampling) break;
      series.sample(second, inFlight, sample ? await sample() : null);
      if (opts.onSecond) {
        opts.onSecond(series.row(second));
        published = second;
      }
    }
  })();
  let overOneSecond = 0;
  const finish = (scenario: string, outcome: string, intendedAt: number) => {
    const us = Math.max(1, Math.round((performance.now() - intendedAt) * 1000));
    series.completed(Math.floor((performance.now() - t0) / 1000), outcome, us / 1000);
    byOutcome[outcome] = (byOutcome[outcome] ?? 0) + 1;
    scenarios.record(scenario, outcome, us);
    allHist.recordValue(us);
    if (us > 1_000_000) overOneSecond++;
    if (outcome === '429' || outcome === '503') refusedHist.recordValue(us);
    if (outcome.startsWith('2')) okHist.recordValue(us);
  };

  while (next < times.length) {
    const now = performance.now() - t0;
    while (next < times.length && times[next]! <= now) {
      const intendedAt = t0 + times[next]!;
      const { path, body, scenario = 'default', headers } = opts.request(next);
      next++;
      if (inFlight >= maxInFlight) {
        dropped++;
        finish(scenario, 'dropped', intendedAt);
        continue;
      }
      if (now - times[next - 1]! > lateMs) late++;
      sent++;
      series.sent(Math.floor(now / 1000));
      inFlight++;
      const p = pool
        .request({
          path,
          method: 'POST',
          headers: headers
            ? { 'content-type': 'application/json', ...headers }
            : { 'content-type': 'application/json' },
          body,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        })
        .then(
          async (res) => {
            if (opts.failureDetails && (res.statusCode < 200 || res.statusCode > 299)) {
              const key = `${res.statusCode} ${problemDetail(await res.body.text())}`;
              failureDetails[key] = (failureDetails[key] ?? 0) + 1;
            } else await res.body.dump();
            finish(scenario, String(res.statusCode), intendedAt);
          },
          (err: unknown) => finish(scenario, failedOutcome(err), intendedAt),
        )
        .finally(() => {
          inFlight--;
          pending.delete(p);
        });
      pending.add(p);
    }
    if (opts.onProgress && performance.now() - lastProgress > 1000) {
      lastProgress = performance.now();
      opts.onProgress(
        `${Math.round(now / 1000)} s: sent ${sent}, in flight ${inFlight}, late ${late}, dropped ${dropped}`,
      );
    }
    const wait = next < times.length ? times[next]! - (performance.now() - t0) : 0;
    // Sleep until the next send is due (timers have ~1 ms granularity, so sends
    // due within the same millisecond go out together); never spin: a busy
    // generator would steal the CPU it is measuring the server with.
    await new Promise<void>((r) =>
      wait > 0 ? setTimeout(r, Math.min(Math.floor(wait), 5)) : setImmediate(r),
    );
  }
  await Promise.all(pending);
  sampling = false;
  await sampler;
  // The last, partial second gets its sample too, and the live view every second not yet sent.
  const lastSecond = Math.floor((performance.now() - t0) / 1000);
  series.sample(lastSecond, 0, sample ? await sample() : null);
  if (opts.onSecond) {
    for (let second = published + 1; second < series.length; second++)
      opts.onSecond(series.row(second));
  }
  const elapsedMs = performance.now() - t0;
  await pool.close();
  const reasons: string[] = [];
  if (times.length > 0 && late / times.length > 0.01) {
    reasons.push(
      `${((late / times.length) * 100).toFixed(1)}% of sends were more than ${lateMs} ms late`,
    );
  }
  if (dropped > 0) reasons.push(`${dropped} sends dropped at ${maxInFlight} in flight`);
  const generator = monitor.stop(reasons);
  const ok = okHist.totalCount;
  const timeSeries = series.rows();
  let stageStart = 0;
  const stageFigures = opts.stages.map((st, i) => {
    const rows = timeSeries.slice(stageStart, stageStart + st.seconds);
    stageStart += st.seconds;
    const ok = rows.reduce((a, r) => a + r.ok, 0);
    const offered = rows.reduce((a, r) => a + r.offered, 0);
    const p99s = rows.map((r) => r.p99Ms).filter((x): x is number => x !== null);
    return {
      stage: i + 1,
      seconds: st.seconds,
      offeredPerSecond: Math.round(offered / st.seconds),
      okPerSecond: Math.round(ok / st.seconds),
      // The worst second's p99 (per-second figures are not mergeable into one exact p99).
      p99Ms: p99s.length > 0 ? Math.max(...p99s) : null,
      errors: rows.reduce((a, r) => a + Object.values(r.errors).reduce((x, y) => x + y, 0), 0),
    };
  });
  const result: OpenLoopResult = {
    intended: times.length,
    sent,
    late,
    dropped,
    durationSeconds: durationMs / 1000,
    targetRate: times.length / (durationMs / 1000),
    achievedSendRate: sent / (Math.min(elapsedMs, durationMs) / 1000),
    // Over the whole run, until the last answer: under overload answers keep
    // arriving after the last send, and the nominal duration would inflate this.
    okPerSecond: ok / (Math.max(elapsedMs, durationMs) / 1000),
    errorRate: times.length > 0 ? (times.length - ok) / times.length : 0,
    latency: summarize(okHist),
    latencyAll: summarize(allHist),
    overOneSecond,
    refused: summarize(refusedHist),
    byOutcome,
    scenarios: scenarios.finish(),
    generator,
    timeSeries,
    stages: stageFigures,
    bottlenecks: bottlenecks(timeSeries, {
      achievedSendRate: sent / (Math.min(elapsedMs, durationMs) / 1000),
      targetRate: times.length / (durationMs / 1000),
      late,
      sent,
      byOutcome,
      generatorCpuPercent: generator.cpuPercent,
    }),
    ...(opts.failureDetails ? { failureDetails } : {}),
  };
  okHist.destroy();
  allHist.destroy();
  refusedHist.destroy();
  return result;
}

/** Seconds after `eventSecond` until a second of the run served >= 95% of what it offered (null: none did). */
export function secondsUntilServed(r: OpenLoopResult, eventSecond: number): number | null {
  for (const row of r.timeSeries) {
    if (row.second <= eventSecond) continue;
    if (row.offered > 0 && row.ok >= 0.95 * row.offered) return row.second - eventSecond;
  }
  return null;
}
