import type { MiddlewareHandler } from 'hono';
import { RateLimitedError, refusal } from '../../limits/admission-errors.ts';
import type { RateLimiter } from '../../limits/rate-limiter.ts';
import type { KeyOf } from './request-key.ts';

/**
 * Per-key quota. Every response carries the IETF RateLimit-Policy and
 * RateLimit headers (draft-ietf-httpapi-ratelimit-headers); a request over
 * quota gets 429 with Retry-After, decided synchronously.
 */
export function rateLimit(opts: {
  limiter: RateLimiter;
  keyOf: KeyOf;
  onReject?: () => void;
}): MiddlewareHandler {
  const { limiter, keyOf } = opts;
  const policy = `"${limiter.name}";q=${limiter.policy.quota};w=${limiter.policy.windowSeconds}`;
  return async function rateLimit(c, next) {
    const d = limiter.take(keyOf(c));
    c.header('RateLimit-Policy', policy);
    c.header('RateLimit', `"${limiter.name}";r=${d.remaining};t=${Math.ceil(d.resetMs / 1000)}`);
    if (!d.allowed) {
      opts.onReject?.();
      throw refusal(
        () =>
          new RateLimitedError(
            `rate limit exceeded: ${limiter.policy.quota} requests per ${limiter.policy.windowSeconds} s`,
            d.retryAfterMs,
            {
              limit: d.limit,
            },
          ),
      );
    }
    await next();
  };
}
