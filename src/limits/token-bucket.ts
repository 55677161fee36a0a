import type { Clock } from './clock.ts';
import { KeyedLimiter } from './keyed-limiter.ts';
import { checkPositive, type KeyedOptions, type RateDecision } from './rate-limiter.ts';

const EPSILON = 1e-9;

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
export class TokenBucket extends KeyedLimiter<Bucket> {
  readonly name = 'token-bucket';
  readonly rate: number;
  readonly burst: number;

  constructor(opts: TokenBucketOptions) {
    const rate = checkPositive('TokenBucket', 'ratePerSecond', opts.ratePerSecond);
    const burst = checkPositive('TokenBucket', 'burst', opts.burst ?? opts.ratePerSecond);
    super(opts, { quota: Math.floor(burst), windowSeconds: Math.max(1, Math.ceil(burst / rate)) });
    this.rate = rate;
    this.burst = burst;
  }

  protected initial(now: number): Bucket {
    return { tokens: this.burst, at: now };
  }

  protected decide(b: Bucket, now: number): RateDecision {
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) * this.rate) / 1000);
    b.at = now;
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
