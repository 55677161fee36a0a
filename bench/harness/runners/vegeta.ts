import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { percentile } from '../../../src/core/statistics.ts';
import type { GeneratorHealth } from './generator-monitor.ts';
import { latencyHistogram, summarize } from './latency.ts';
import type { OpenLoopResult } from './open-loop.ts';
import { processCpuSeconds } from './process-cpu.ts';
import { bottlenecks } from './time-series.ts';

/** Installs (once) and returns the pinned vegeta binary: deploy/tools/install-vegeta.sh. */
export function vegetaBinary(): string {
  return execFileSync('bash', ['deploy/tools/install-vegeta.sh'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

export interface VegetaOptions {
  url: string;
  path: string;
  bodies: string[];
  rate: number;
  seconds: number;
  /** e.g. "0": pin the generator to these CPUs (taskset), away from the server. */
  cpus?: string;
  timeoutSeconds?: number;
  lateMs?: number;
  /** Connections vegeta may open to the server (0: one per in-flight request). */
  maxConnections?: number;
}

/**
 * Open loop with vegeta, a compiled generator: request i is due at t0 + i/rate;
 * its latency counts from that intended time (vegeta's own latency plus how late
 * it was sent), as the Node runner does, so the two report alike. Returns the
 * Node runner's result shape. The achieved send rate and late sends say whether
 * the generator, not the server, was the limit.
 */
export type VegetaResult = OpenLoopResult & {
  /** p99 of successful requests per second of the run, from intended send times. */
  perSecondP99Ms: number[];
  /** The same for refusals (429/503): is a slow refusal tail steady or a transient? */
  perSecondRefusedP99Ms: number[];
  /** Admitted and refused latency of the requests due after the first second (the start transient apart). */
  afterFirstSecond: {
    latency: ReturnType<typeof summarize>;
    refused: ReturnType<typeof summarize>;
  };
  /** 429/503 answers that came without a Retry-After header. */
  refusedWithoutRetryAfter: number;
};

export async function vegetaOpenLoop(opts: VegetaOptions): Promise<VegetaResult> {
  const bin = vegetaBinary();
  const dir = mkdtempSync(join(tmpdir(), 'vegeta-'));
  try {
    const targets = opts.bodies
      .map((b) =>
        JSON.stringify({
          method: 'POST',
          url: `${opts.url}${opts.path}`,
          body: Buffer.from(b).toString('base64'),
          header: { 'Content-Type': ['application/json'] },
        }),
      )
      .join('\n');
    writeFileSync(join(dir, 'targets.json'), `${targets}\n`);
    const attack = [
      bin,
      'attack',
      '-format=json',
      `-targets=${join(dir, 'targets.json')}`,
      `-rate=${vegetaRate(opts.rate)}/1s`,
      `-duration=${opts.seconds}s`,
      `-timeout=${opts.timeoutSeconds ?? 10}s`,
      '-max-workers=20000',
      ...(opts.maxConnections ? [`-max-connections=${opts.maxConnections}`] : []),
      `-output=${join(dir, 'results.bin')}`,
    ];
    const argv = opts.cpus ? ['taskset', '-c', opts.cpus, ...attack] : attack;
    const started = performance.now();
    const cpuSeconds = await new Promise<number>((resolve, reject) => {
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] });
      // The generator's own CPU, read from /proc while it runs (it is gone at exit).
      let last = 0;
      const poll = setInterval(() => {
        last = processCpuSeconds(child.pid!) ?? last;
      }, 250);
      child.on('error', reject);
      child.on('exit', (code) => {
        clearInterval(poll);
        if (code !== 0) reject(new Error(`vegeta attack exited ${code}`));
        else resolve(last);
      });
    });
    const wallSeconds = (performance.now() - started) / 1000;
    const csv = execFileSync(bin, ['encode', '-to=csv', join(dir, 'results.bin')], {
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    });
    return summarizeVegeta(csv, opts, wallSeconds, (100 * cpuSeconds) / wallSeconds);
  } finally {
    // KEEP_VEGETA=1 keeps vegeta's own results (results.bin) for a closer look.
    if (!process.env.KEEP_VEGETA) rmSync(dir, { recursive: true, force: true });
    else process.stderr.write(`vegeta files kept in ${dir}\n`);
  }
}

/**
 * The whole-number rate vegeta is given for `rate`. Intended send times must
 * come from this rate, not the one asked: timed at 243.25/s while vegeta sent
 * 243/s, every send fell 0.1% further behind, and a 60 s phase at a quarter of
 * capacity reported a p99 of 59 ms that was only that drift.
 */
export function vegetaRate(rate: number): number {
  return Math.max(1, Math.round(rate));
}

/** Builds the result from vegeta's CSV: timestamp(ns), code, latency(ns), ..., seq at column 8. */
export function summarizeVegeta(
  csv: string,
  opts: Pick<VegetaOptions, 'rate' | 'seconds' | 'lateMs'>,
  wallSeconds: number,
  cpuPercent: number,
): VegetaResult {
  const rate = vegetaRate(opts.rate);
  const lines = csv.split('\n').filter((l) => l.length > 0);
  const rows = lines.map((l) => {
    const f = csvFields(l, 12);
    return {
      ts: Number(f[0]),
      code: Number(f[1]),
      latencyNs: Number(f[2]),
      seq: Number(f[8]),
      headers: f[11] ?? '',
    };
  });
  let t0 = Number.POSITIVE_INFINITY;
  let tEnd = 0;
  for (const r of rows) {
    if (r.ts < t0) t0 = r.ts;
    if (r.ts > tEnd) tEnd = r.ts;
  }
  const ok = latencyHistogram();
  const all = latencyHistogram();
  let overOneSecond = 0;
  const refused = latencyHistogram();
  const byOutcome: Record<string, number> = {};
  let late = 0;
  const lateMs = opts.lateMs ?? 10;
  const perSecond: number[][] = [];
  const perSecondRefused: number[][] = [];
  let refusedWithoutRetryAfter = 0;
  const okAfter = latencyHistogram();
  const refusedAfter = latencyHistogram();
  // Goodput counts the answers that came back within the run: under overload the server's
  // backlog answers for seconds after the last send, and counting those as the run's made a
  // 5x flood over Milvus look like 124-154% of capacity while it served about half of it.
  const runEnd = t0 + opts.seconds * 1e9;
  let okInRun = 0;
  for (const r of rows) {
    const intended = t0 + (r.seq * 1e9) / rate;
    const behindNs = Math.max(0, r.ts - intended);
    if (behindNs > lateMs * 1e6) late++;
    const us = Math.max(1, Math.round((r.latencyNs + behindNs) / 1000));
    const key = r.code === 0 ? 'error' : String(r.code);
    byOutcome[key] = (byOutcome[key] ?? 0) + 1;
    if (r.code === 0) continue; // a transport error has no answer to time
    all.recordValue(us);
    if (us > 1_000_000) overOneSecond++;
    const second = Math.floor((intended - t0) / 1e9);
    if (r.code >= 200 && r.code < 300) {
      ok.recordValue(us);
      if (r.ts + r.latencyNs <= runEnd) okInRun++;
      if (second >= 1) okAfter.recordValue(us);
      perSecond[second] ??= [];
      perSecond[second].push(us / 1000);
    } else if (r.code === 429 || r.code === 503) {
      // Response headers are base64 in the last column (vegeta >= 12.9).
      if (!/^retry-after:/im.test(Buffer.from(r.headers, 'base64').toString('latin1')))
        refusedWithoutRetryAfter++;
      refused.recordValue(us);
      if (second >= 1) refusedAfter.recordValue(us);
      perSecondRefused[second] ??= [];
      perSecondRefused[second].push(us / 1000);
    }
  }
  const p99PerSecond = (buckets: number[][]) =>
    Array.from(buckets, (xs) => {
      if (!xs || xs.length === 0) return 0;
      xs.sort((a, b) => a - b);
      return percentile(xs, 0.99);
    });
  const intendedCount = Math.round(rate * opts.seconds);
  const sent = rows.length;
  const sendSpan = Math.max(1e-9, (tEnd - t0) / 1e9);
  const okCount = ok.totalCount;
  const reasons: string[] = [];
  if (sent < intendedCount * 0.97) reasons.push(`vegeta sent ${sent} of ${intendedCount} requests`);
  if (late > sent * 0.01) reasons.push(`${late} of ${sent} sends more than ${lateMs} ms late`);
  // vegeta is multi-threaded: a figure near 100% per pinned core means it was the limit.
  const generator: GeneratorHealth = {
    cpuPercent: Math.round(cpuPercent),
    eventLoopDelayP99Ms: 0,
    eventLoopDelayMaxMs: 0,
    trustworthy: reasons.length === 0,
    reasons,
  };
  return {
    intended: intendedCount,
    sent,
    late,
    dropped: Math.max(0, intendedCount - sent),
    durationSeconds: wallSeconds,
    targetRate: rate,
    achievedSendRate: sent / sendSpan,
    okPerSecond: okInRun / opts.seconds,
    errorRate: sent === 0 ? 0 : (sent - okCount) / sent,
    latency: summarize(ok),
    latencyAll: summarize(all),
    overOneSecond,
    refused: summarize(refused),
    byOutcome,
    scenarios: {},
    generator,
    perSecondP99Ms: p99PerSecond(perSecond),
    perSecondRefusedP99Ms: p99PerSecond(perSecondRefused),
    afterFirstSecond: { latency: summarize(okAfter), refused: summarize(refusedAfter) },
    // vegeta's results carry no server samples; per-second p99s are above.
    timeSeries: [],
    stages: [],
    bottlenecks: bottlenecks([], {
      achievedSendRate: sent / sendSpan,
      targetRate: rate,
      late,
      sent,
      byOutcome,
      generatorCpuPercent: Math.round(cpuPercent),
    }),
    refusedWithoutRetryAfter,
  };
}

/** The first `n` fields of a CSV line; a field may be quoted (vegeta's error text can hold commas). */
export function csvFields(line: string, n: number): string[] {
  const out: string[] = [];
  let i = 0;
  while (out.length < n && i <= line.length) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) return out;
        value += line.slice(i, q);
        if (line[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 2; // past the quote and the comma
          break;
        }
      }
      out.push(value);
    } else {
      const c = line.indexOf(',', i);
      const end = c < 0 ? line.length : c;
      out.push(line.slice(i, end));
      i = end + 1;
    }
  }
  return out;
}
