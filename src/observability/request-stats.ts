/**
 * The numbers behind GET /v1/stats: lifetime counters plus latency percentiles
 * over a ring of the most recent requests (a window, so the figures describe
 * the server now rather than since it started).
 */
import { percentileOrNull } from '../core/statistics.ts';

export interface StatsSnapshot {
  requests: number;
  successes: number;
  failures: number;
  clientErrors: number;
  serverErrors: number;
  successRate: number;
  inFlight: number;
  latencyMs: {
    window: number;
    avg: number;
    p50: number;
    p95: number;
    p99: number;
    max: number;
  };
  uptimeSeconds: number;
}

export class RequestStats {
  #requests = 0;
  #successes = 0;
  #clientErrors = 0;
  #serverErrors = 0;
  #inFlight = 0;
  readonly #ring: Float64Array;
  #filled = 0;
  #at = 0;
  readonly #startedAt = performance.now();

  constructor(windowSize = 10_000) {
    this.#ring = new Float64Array(windowSize);
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  started(): void {
    this.#inFlight++;
  }

  /** Records a finished request; 4xx are client errors, 5xx server errors. */
  finished(status: number, latencyMs: number): void {
    this.#inFlight--;
    this.#requests++;
    if (status < 400) this.#successes++;
    else if (status < 500) this.#clientErrors++;
    else this.#serverErrors++;
    this.#ring[this.#at] = latencyMs;
    this.#at = (this.#at + 1) % this.#ring.length;
    if (this.#filled < this.#ring.length) this.#filled++;
  }

  snapshot(): StatsSnapshot {
    const sorted = this.#ring.slice(0, this.#filled).sort();
    const pick = (q: number) => percentileOrNull(sorted, q) ?? 0;
    let sum = 0;
    for (const v of sorted) sum += v;
    const failures = this.#clientErrors + this.#serverErrors;
    const round = (v: number) => Math.round(v * 1000) / 1000;
    return {
      requests: this.#requests,
      successes: this.#successes,
      failures,
      clientErrors: this.#clientErrors,
      serverErrors: this.#serverErrors,
      successRate: this.#requests === 0 ? 1 : round(this.#successes / this.#requests),
      inFlight: this.#inFlight,
      latencyMs: {
        window: sorted.length,
        avg: sorted.length === 0 ? 0 : round(sum / sorted.length),
        p50: round(pick(0.5)),
        p95: round(pick(0.95)),
        p99: round(pick(0.99)),
        max: round(sorted.length === 0 ? 0 : sorted[sorted.length - 1]!),
      },
      uptimeSeconds: Math.round((performance.now() - this.#startedAt) / 1000),
    };
  }
}
