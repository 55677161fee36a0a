import { Pool } from 'undici';
import { monitorGenerator } from './generator-monitor.ts';
import { latencyHistogram, summarize } from './latency.ts';
import { failedOutcome, type OpenLoopResult } from './open-loop.ts';
import { ScenarioTally } from './scenario-tally.ts';
import { bottlenecks, type SecondFigures, serverSampler, TimeSeries } from './time-series.ts';

export interface UsersOptions {
  url: string;
  /** Virtual users, each with its own connection, started evenly over `spawnSeconds`. */
  users: number;
  spawnSeconds: number;
  seconds: number;
  /** Think time between a user's answer and its next request: uniform in [min, max] seconds. */
  waitSeconds: [number, number];
  request: (i: number) => { path: string; body: string; scenario?: string };
  timeoutMs?: number;
  onSecond?: (row: SecondFigures) => void;
  random?: () => number;
}

/**
 * Locust's model: users that send a request, wait for the answer, think for
 * a while (`wait_time = between(a, b)`), and go again. Closed loop per user,
 * so the offered rate follows the server; the result has the open-loop
 * runner's shape (per-second figures, server samples, bottlenecks), with
 * "offered" counting what the users sent. At the end no request is cut:
 * users stop starting new ones and the ones in flight are awaited.
 */
export async function runUsers(opts: UsersOptions): Promise<OpenLoopResult> {
  const random = opts.random ?? Math.random;
  const pool = new Pool(opts.url, { connections: opts.users, pipelining: 1 });
  const ok = latencyHistogram();
  const all = latencyHistogram();
  let overOneSecond = 0;
  const refused = latencyHistogram();
  const byOutcome: Record<string, number> = {};
  const scenarios = new ScenarioTally();
  const series = new TimeSeries();
  const sample = serverSampler(opts.url);
  await sample();
  const monitor = monitorGenerator();
  const t0 = performance.now();
  const end = t0 + opts.seconds * 1000;
  let sent = 0;
  let inFlight = 0;
  let next = 0;
  let sampling = true;
  const sampler = (async () => {
    for (let second = 0; sampling; second++) {
      await new Promise((r) =>
        setTimeout(r, Math.max(0, t0 + (second + 1) * 1000 - performance.now())),
      );
      if (!sampling) break;
      series.sample(second, inFlight, await sample());
      opts.onSecond?.(series.row(second));
    }
  })();
  const user = async (u: number) => {
    await new Promise((r) => setTimeout(r, (u / opts.users) * opts.spawnSeconds * 1000));
    while (performance.now() < end) {
      const { path, body, scenario = 'default' } = opts.request(next++);
      const started = performance.now();
      const second = Math.floor((started - t0) / 1000);
      series.offered(second);
      series.sent(second);
      sent++;
      inFlight++;
      let outcome: string;
      try {
        const res = await pool.request({
          path,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          headersTimeout: opts.timeoutMs ?? 10_000,
          bodyTimeout: opts.timeoutMs ?? 10_000,
        });
        await res.body.dump();
        outcome = String(res.statusCode);
      } catch (err) {
        outcome = failedOutcome(err);
      }
      inFlight--;
      const us = Math.max(1, Math.round((performance.now() - started) * 1000));
      byOutcome[outcome] = (byOutcome[outcome] ?? 0) + 1;
      series.completed(Math.floor((performance.now() - t0) / 1000), outcome, us / 1000);
      all.recordValue(us);
      if (us > 1_000_000) overOneSecond++;
      scenarios.record(scenario, outcome, us);
      if (outcome.startsWith('2')) ok.recordValue(us);
      else if (outcome === '429' || outcome === '503') refused.recordValue(us);
      const [a, b] = opts.waitSeconds;
      const think = (a + random() * (b - a)) * 1000;
      if (performance.now() + think >= end) break;
      await new Promise((r) => setTimeout(r, think));
    }
  };
  await Promise.all(Array.from({ length: opts.users }, (_, u) => user(u)));
  sampling = false;
  await sampler;
  const elapsedMs = performance.now() - t0;
  await pool.close();
  const generator = monitor.stop([]);
  const timeSeries = series.rows();
  const okCount = ok.totalCount;
  const result: OpenLoopResult = {
    intended: sent,
    sent,
    late: 0,
    dropped: 0,
    durationSeconds: opts.seconds,
    targetRate: sent / opts.seconds,
    achievedSendRate: sent / (elapsedMs / 1000),
    okPerSecond: okCount / (elapsedMs / 1000),
    errorRate: sent > 0 ? (sent - okCount) / sent : 0,
    latency: summarize(ok),
    latencyAll: summarize(all),
    overOneSecond,
    refused: summarize(refused),
    byOutcome,
    scenarios: scenarios.finish(),
    generator,
    timeSeries,
    stages: [],
    bottlenecks: bottlenecks(timeSeries, {
      achievedSendRate: sent / (elapsedMs / 1000),
      targetRate: sent / (elapsedMs / 1000),
      late: 0,
      sent,
      byOutcome,
      generatorCpuPercent: generator.cpuPercent,
    }),
  };
  ok.destroy();
  all.destroy();
  refused.destroy();
  return result;
}
