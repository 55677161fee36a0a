import type { Context } from 'hono';
import { RateLimitedError, refusal } from '../../limits/admission-errors.ts';
import type { EventLoopGuard } from '../../limits/event-loop-guard.ts';
import type { RateLimiter } from '../../limits/rate-limiter.ts';
import { setResponseHeader } from '../node-bindings.ts';
import type { KeyOf } from './request-key.ts';

/**
 * A gate decides at a request's arrival, from its line and headers alone
 * (before the body is read), synchronously: it returns to admit and throws a
 * refusal (429/503 with Retry-After) to refuse. Being plain functions, gates
 * run one after another inside one middleware, with no promise between them.
 */
export type Gate = (c: Context) => void;

/**
 * Per-key quota. Every response carries the IETF RateLimit-Policy and
 * RateLimit headers (draft-ietf-httpapi-ratelimit-headers); a request over
 * quota gets 429 with Retry-After.
 */
export function rateLimitGate(opts: {
  limiter: RateLimiter;
  keyOf: KeyOf;
  onReject?: () => void;
}): Gate {
  const { limiter, keyOf } = opts;
  const policy = `"${limiter.name}";q=${limiter.policy.quota};w=${limiter.policy.windowSeconds}`;
  return function rateLimit(c) {
    const d = limiter.take(keyOf(c));
    setResponseHeader(c, 'RateLimit-Policy', policy);
    setResponseHeader(
      c,
      'RateLimit',
      `"${limiter.name}";r=${d.remaining};t=${Math.ceil(d.resetMs / 1000)}`,
    );
    if (d.allowed) return;
    opts.onReject?.();
    throw refusal(
      () =>
        new RateLimitedError(
          `rate limit exceeded: ${limiter.policy.quota} requests per ${limiter.policy.windowSeconds} s`,
          d.retryAfterMs,
          { limit: d.limit },
        ),
    );
  };
}

/** Refuses with 503 while the event loop is behind (Node drains the unread body by itself). */
export function eventLoopGate(guard: EventLoopGuard): Gate {
  return function eventLoop() {
    guard.check();
  };
}
