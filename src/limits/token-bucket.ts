import { type Clock, monotonicClock } from './clock.ts';
import { LruMap } from './lru-map.ts';

const EPSILON = 1e-9;

import {
  checkPositive,
  type KeyedOptions,
  type RateDecision,
  type RateLimiter,
} from './rate-limiter.ts';

export interface TokenBucketOptions extends KeyedOptions {
  /** Tokens added per second: the sustained rate. */
  ratePerSecond: number;
  /** Bucket size: the largest burst. @default ratePerSecond */
  burst?: number;
  clock?: Clock;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token bucket: a full bucket allows a burst of `burst` requests, then
 * `ratePerSecond` sustained. State per key is two numbers.
 *
 * @example const limiter = new TokenBucket({ ratePerSecond: 100, burst: 200 });
 */
export class TokenBucket implements RateLimiter {
  readonly name = 'token-bucket';
  readonly rate: number;
  readonly burst: number;
  readonly policy: { quota: number; windowSeconds: number };
  readonly #buckets: LruMap<Bucket>;
  readonly #clock: Clock;

  constructor(opts: TokenBucketOptions) {
    this.rate = checkPositive('TokenBucket', 'ratePerSecond', opts.ratePerSecond);
    this.burst = checkPositive('TokenBucket', 'burst', opts.burst ?? opts.ratePerSecond);
    this.#buckets = new LruMap(opts.maxKeys ?? 10_000);
    this.#clock = opts.clock ?? monotonicClock;
    this.policy = {
      quota: Math.floor(this.burst),
      windowSeconds: Math.max(1, Math.ceil(this.burst / this.rate)),
    };
  }

  get size(): number {
    return this.#buckets.size;
  }

  take(key: string): RateDecision {
    const now = this.#clock();
    let b = this.#buckets.get(key);
    if (!b) {
      b = { tokens: this.burst, at: now };
      this.#buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) * this.rate) / 1000);
      b.at = now;
    }
    const allowed = b.tokens >= 1 - EPSILON; // refills summed in floating point fall short of 1
    if (allowed) b.tokens = Math.max(0, b.tokens - 1);
    return {
      allowed,
      limit: this.policy.quota,
      remaining: Math.floor(b.tokens),
      resetMs: Math.ceil(((this.burst - b.tokens) / this.rate) * 1000),
      retryAfterMs: allowed ? 0 : Math.ceil(((1 - b.tokens) / this.rate) * 1000),
    };
  }
}
