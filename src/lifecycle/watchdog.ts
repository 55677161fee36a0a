import { Worker } from 'node:worker_threads';

/**
 * Hung-worker watchdog (Gunicorn's `timeout`): the main thread bumps a shared
 * counter every `intervalMs`; a worker thread, which keeps running while the
 * main thread is stuck in a busy loop, kills the process when the counter has
 * not moved for `timeoutMs`. It writes its log line straight to its log (a file, or fd 2) because
 * the main thread, which normally relays a thread's output, is the one stuck.
 * PM2 (or any supervisor) then starts a fresh worker.
 */
export interface WatchdogOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Signal sent to this process when it hangs. @default 'SIGKILL' */
  signal?: NodeJS.Signals;
  /** Extra fields for the log line (e.g. the worker index). */
  context?: Record<string, unknown>;
  /**
   * File the thread appends its log line to. @default PM2's error log when
   * PM2 runs us (in cluster mode fd 2 does not reach it), else fd 2.
   */
  logFile?: string;
}

// Plain JS, run with `eval` so the thread needs no TypeScript loader.
const THREAD_SOURCE = `
const { workerData } = require('node:worker_threads');
const { appendFileSync, writeSync } = require('node:fs');
const beats = new Int32Array(workerData.buffer);
let seen = Atomics.load(beats, 0);
let changedAt = performance.now();
setInterval(() => {
  const now = performance.now();
  const current = Atomics.load(beats, 0);
  if (current !== seen) { seen = current; changedAt = now; return; }
  const stalledMs = now - changedAt;
  if (stalledMs < workerData.timeoutMs) return;
  const line = JSON.stringify({
    level: 'fatal', time: new Date().toISOString(), pid: process.pid, ...workerData.context,
    stalledMs: Math.round(stalledMs), timeoutMs: workerData.timeoutMs,
    msg: 'watchdog: event loop blocked longer than timeout, killing worker',
  }) + '\\n';
  try {
    if (workerData.logFile) appendFileSync(workerData.logFile, line);
    else writeSync(2, line);
  } catch {}
  process.kill(process.pid, workerData.signal);
}, workerData.intervalMs);
`;

export function startWatchdog(opts: WatchdogOptions): { stop(): Promise<void> } {
  const intervalMs = opts.intervalMs ?? Math.min(100, Math.max(10, opts.timeoutMs / 10));
  const buffer = new SharedArrayBuffer(4);
  const beats = new Int32Array(buffer);
  const beat = setInterval(() => Atomics.add(beats, 0, 1), intervalMs);
  beat.unref();
  const thread = new Worker(THREAD_SOURCE, {
    eval: true,
    workerData: {
      buffer,
      timeoutMs: opts.timeoutMs,
      intervalMs,
      signal: opts.signal ?? 'SIGKILL',
      context: opts.context ?? {},
      logFile: opts.logFile ?? process.env.pm_err_log_path,
    },
    // The thread must not inherit loaders (tsx) or keep the process alive.
    execArgv: [],
  });
  thread.unref();
  return {
    async stop() {
      clearInterval(beat);
      await thread.terminate();
    },
  };
}
