import { type Clock, monotonicClock } from './clock.ts';
import { LruMap } from './lru-map.ts';
import {
  checkPositive,
  type KeyedOptions,
  type RateDecision,
  type RateLimiter,
} from './rate-limiter.ts';

export interface SlidingWindowOptions extends KeyedOptions {
  /** Requests allowed per window. */
  limit: number;
  /** Window length in milliseconds. @default 1000 */
  windowMs?: number;
  clock?: Clock;
}

/**
 * Sliding window, exact: remembers the time of each allowed request in the
 * last window (a ring of `limit` timestamps per key), so no window edge lets
 * 2x the limit through. Memory: `limit` numbers per key.
 */
export class SlidingWindowLog implements RateLimiter {
  readonly name = 'sliding-log';
  readonly limit: number;
  readonly windowMs: number;
  readonly policy: { quota: number; windowSeconds: number };
  readonly #logs: LruMap<{ times: Float64Array; head: number; count: number }>;
  readonly #clock: Clock;

  constructor(opts: SlidingWindowOptions) {
    this.limit = checkPositive('SlidingWindowLog', 'limit', opts.limit, true);
    this.windowMs = checkPositive('SlidingWindowLog', 'windowMs', opts.windowMs ?? 1000);
    this.#logs = new LruMap(opts.maxKeys ?? 10_000);
    this.#clock = opts.clock ?? monotonicClock;
    this.policy = {
      quota: this.limit,
      windowSeconds: Math.max(1, Math.ceil(this.windowMs / 1000)),
    };
  }

  get size(): number {
    return this.#logs.size;
  }

  take(key: string): RateDecision {
    const now = this.#clock();
    let log = this.#logs.get(key);
    if (!log) {
      log = { times: new Float64Array(this.limit), head: 0, count: 0 };
      this.#logs.set(key, log);
    }
    // Drop timestamps that left the window (oldest first, at `head`).
    while (log.count > 0 && log.times[log.head]! <= now - this.windowMs) {
      log.head = (log.head + 1) % this.limit;
      log.count--;
    }
    const oldest = log.count > 0 ? log.times[log.head]! : now;
    const allowed = log.count < this.limit;
    if (allowed) {
      log.times[(log.head + log.count) % this.limit] = now;
      log.count++;
    }
    return {
      allowed,
      limit: this.limit,
      remaining: this.limit - log.count,
      resetMs: Math.ceil(
        log.count === 0
          ? 0
          : log.times[(log.head + log.count - 1) % this.limit]! + this.windowMs - now,
      ),
      retryAfterMs: allowed ? 0 : Math.ceil(oldest + this.windowMs - now),
    };
  }
}

/**
 * Sliding window, approximate (two counters): the count of the previous fixed
 * window, weighted by how much of it still overlaps the sliding window, plus
 * the current window's count. Two numbers per key; assumes requests in the
 * previous window were evenly spread (Cloudflare's measured error: 0.003%).
 */
export class SlidingWindowCounter implements RateLimiter {
  readonly name = 'sliding-window';
  readonly limit: number;
  readonly windowMs: number;
  readonly policy: { quota: number; windowSeconds: number };
  readonly #counters: LruMap<{ window: number; current: number; previous: number }>;
  readonly #clock: Clock;

  constructor(opts: SlidingWindowOptions) {
    this.limit = checkPositive('SlidingWindowCounter', 'limit', opts.limit, true);
    this.windowMs = checkPositive('SlidingWindowCounter', 'windowMs', opts.windowMs ?? 1000);
    this.#counters = new LruMap(opts.maxKeys ?? 10_000);
    this.#clock = opts.clock ?? monotonicClock;
    this.policy = {
      quota: this.limit,
      windowSeconds: Math.max(1, Math.ceil(this.windowMs / 1000)),
    };
  }

  get size(): number {
    return this.#counters.size;
  }

  take(key: string): RateDecision {
    const now = this.#clock();
    const window = Math.floor(now / this.windowMs);
    let c = this.#counters.get(key);
    if (!c) {
      c = { window, current: 0, previous: 0 };
      this.#counters.set(key, c);
    } else if (c.window !== window) {
      c.previous = c.window === window - 1 ? c.current : 0;
      c.current = 0;
      c.window = window;
    }
    const intoWindow = (now - window * this.windowMs) / this.windowMs;
    const estimate = c.previous * (1 - intoWindow) + c.current;
    const allowed = estimate + 1 <= this.limit;
    if (allowed) c.current++;
    const used = c.previous * (1 - intoWindow) + c.current;
    // Denied: wait until the previous window's weight has decayed enough for one more.
    let retryAfterMs = 0;
    if (!allowed) {
      const needDecay = estimate + 1 - this.limit;
      retryAfterMs =
        c.previous > 0 && needDecay <= c.previous * (1 - intoWindow)
          ? Math.ceil((needDecay / c.previous) * this.windowMs)
          : Math.ceil((window + 1) * this.windowMs - now);
    }
    return {
      allowed,
      limit: this.limit,
      remaining: Math.max(0, Math.floor(this.limit - used)),
      resetMs: Math.ceil((window + 1) * this.windowMs - now),
      retryAfterMs,
    };
  }
}
