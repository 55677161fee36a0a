import { type Clock, monotonicClock } from '../limits/clock.ts';

/**
 * Retry budget (Finagle / Envoy style): retries may add at most `ratio` of
 * the requests seen over the last `windowMs`, plus `minPerSecond` so that a
 * quiet service can still retry. In an outage every request fails, and
 * without a budget each would be retried on every endpoint, multiplying the
 * load exactly when the survivors can least take it.
 */
export class RetryBudget {
  readonly ratio: number;
  readonly minPerSecond: number;
  readonly windowMs: number;
  readonly #clock: Clock;
  readonly #buckets: { start: number; requests: number; retries: number }[] = [];
  readonly #width: number;
  allowed = 0;
  denied = 0;

  constructor(
    opts: { ratio?: number; minPerSecond?: number; windowMs?: number; clock?: Clock } = {},
  ) {
    this.ratio = opts.ratio ?? 0.2;
    this.minPerSecond = opts.minPerSecond ?? 5;
    this.windowMs = opts.windowMs ?? 10_000;
    this.#clock = opts.clock ?? monotonicClock;
    this.#width = this.windowMs / 10;
  }

  #bucket() {
    const now = this.#clock();
    while (this.#buckets.length > 0 && this.#buckets[0]!.start <= now - this.windowMs)
      this.#buckets.shift();
    let last = this.#buckets[this.#buckets.length - 1];
    if (!last || now >= last.start + this.#width) {
      last = { start: now - (now % this.#width), requests: 0, retries: 0 };
      this.#buckets.push(last);
    }
    return last;
  }

  /** Counts a first attempt (not a retry). */
  recordRequest(): void {
    this.#bucket().requests++;
  }

  /** Takes one retry from the budget if there is one left. */
  tryRetry(): boolean {
    const current = this.#bucket();
    let requests = 0;
    let retries = 0;
    for (const b of this.#buckets) {
      requests += b.requests;
      retries += b.retries;
    }
    const budget = this.ratio * requests + (this.minPerSecond * this.windowMs) / 1000;
    if (retries + 1 > budget) {
      this.denied++;
      return false;
    }
    current.retries++;
    this.allowed++;
    return true;
  }
}
