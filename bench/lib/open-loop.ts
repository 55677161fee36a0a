import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Pool } from 'undici';

export interface OpenLoopOptions {
  /** e.g. http://127.0.0.1:8000 */
  origin: string;
  path: string;
  /** Requests per second, sent on a fixed schedule whatever the answers do. */
  rate: number;
  durationSeconds: number;
  bodies: string[];
  /** Sockets to spread requests over. @default 256 */
  connections?: number;
  /** A request unanswered after this is counted as a timeout. @default 10000 */
  timeoutMs?: number;
}

export interface OpenLoopResult {
  intended: number;
  sent: number;
  /** Sends more than 5 ms behind their schedule: the generator could not keep up. */
  lateSends: number;
  achievedRate: number;
  /** Latency (ms) from each request's intended send time, by status ("error" for failures). */
  latencies: Record<string, number[]>;
  generator: { cpuPercent: number; eventLoopDelayP99Ms: number };
}

/**
 * Open-loop load: request i is due at t0 + i / rate and its latency counts from
 * that moment (no coordinated omission), so a server that stalls shows the
 * stall in every request that was due meanwhile.
 */
export async function openLoop(opts: OpenLoopOptions): Promise<OpenLoopResult> {
  const pool = new Pool(opts.origin, { connections: opts.connections ?? 256, pipelining: 1 });
  const latencies: Record<string, number[]> = {};
  const record = (key: string, ms: number): void => {
    latencies[key] ??= [];
    latencies[key].push(ms);
  };
  const intended = Math.round(opts.rate * opts.durationSeconds);
  const interval = 1000 / opts.rate;
  let sent = 0;
  let late = 0;
  const inflight: Promise<void>[] = [];
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  while (sent < intended) {
    const now = performance.now();
    const due = Math.min(intended, Math.floor((now - t0) / interval) + 1);
    while (sent < due) {
      const at = t0 + sent * interval;
      if (now - at > 5) late++;
      const body = opts.bodies[sent % opts.bodies.length]!;
      sent++;
      inflight.push(
        pool
          .request({
            path: opts.path,
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
            headersTimeout: opts.timeoutMs ?? 10_000,
            bodyTimeout: opts.timeoutMs ?? 10_000,
          })
          .then(async (res) => {
            await res.body.dump();
            record(String(res.statusCode), performance.now() - at);
          })
          .catch(() => record('error', performance.now() - at)),
      );
    }
    await new Promise<void>((r) => setImmediate(r));
  }
  await Promise.all(inflight);
  const elapsed = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  delay.disable();
  await pool.close();
  return {
    intended,
    sent,
    lateSends: late,
    achievedRate: Math.round((sent / (opts.durationSeconds * 1000)) * 1000),
    latencies,
    generator: {
      cpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / elapsed) * 100),
      eventLoopDelayP99Ms: Math.round(delay.percentile(99) / 1e4) / 100,
    },
  };
}

export function percentile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}
