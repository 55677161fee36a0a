import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { RateLimitedError, refusal } from '../../limits/admission-errors.ts';
import type { CircuitBreaker } from '../../limits/circuit-breaker.ts';
import type { ConcurrencyLimiter } from '../../limits/concurrency-limiter.ts';
import type { EventLoopGuard } from '../../limits/event-loop-guard.ts';
import type { RateLimiter } from '../../limits/rate-limiter.ts';
import { watchClient } from './deadline.ts';

export type KeyOf = (c: Context) => string;

/** The quota key of a request: client IP (X-Forwarded-For only when trusted), API key, or one global key. */
export function requestKey(kind: 'ip' | 'api-key' | 'global', trustProxy: boolean): KeyOf {
  const ip = (c: Context): string => {
    if (trustProxy) {
      const forwarded = c.req.header('x-forwarded-for');
      if (forwarded) return forwarded.split(',')[0]!.trim();
    }
    try {
      return getConnInfo(c).remote.address ?? 'unknown';
    } catch {
      return 'unknown'; // app.request() in tests has no socket
    }
  };
  if (kind === 'global') return () => 'global';
  if (kind === 'api-key')
    return (c) => {
      const k = c.req.header('x-api-key');
      return k ? `key:${k}` : `ip:${ip(c)}`;
    };
  return ip;
}

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

/**
 * Holds a concurrency slot for the rest of the request (waiting in the
 * bounded queue if need be). A request that ends in 503/504 is reported as a
 * drop, which shrinks an adaptive limit.
 */
export function concurrencyLimit(opts: { limiter: ConcurrencyLimiter }): MiddlewareHandler {
  const { limiter } = opts;
  return async function concurrencyLimit(c, next) {
    const gone = new AbortController();
    const stop = watchClient(c, () =>
      gone.abort(new Error('client closed the connection while queued')),
    );
    let permit = limiter.tryAcquire(); // the common case: no promise, no queue
    if (!permit) {
      try {
        permit = await limiter.acquire(gone.signal); // queues, or refuses at once when full
      } finally {
        stop();
      }
    } else {
      stop();
    }
    try {
      await next();
    } finally {
      permit.release({ dropped: c.res.status === 503 || c.res.status === 504 });
    }
  };
}

/**
 * Refuses at once (503 breaker_open, Retry-After) while the backend's breaker
 * is open, before the request's body is read. It counts nothing: outcomes are
 * counted on the backend's own calls (see guardBackend).
 */
export function breakerGate(opts: { breaker: CircuitBreaker }): MiddlewareHandler {
  const { breaker } = opts;
  return async function breakerGate(_c, next) {
    breaker.refuseIfOpen();
    await next();
  };
}

/**
 * Refuses with 503 while the event loop is behind, before the request body is
 * read or parsed (Node drains an unread body after the response by itself).
 */
export function eventLoopGuard(opts: { guard: EventLoopGuard }): MiddlewareHandler {
  const { guard } = opts;
  return async function eventLoopGuard(_c, next) {
    guard.check();
    await next();
  };
}
