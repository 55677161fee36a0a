import type { MiddlewareHandler } from 'hono';
import type { SearchBackend } from '../../backends/search-backend.ts';
import { isOverloadedError, isRateLimitedError } from '../../limits/admission-errors.ts';
import type { AdmissionMetrics } from './admission-metrics.ts';
import { breakerGate } from './breaker-gate.ts';
import type { Admission } from './build-admission.ts';
import { concurrencyLimit } from './concurrency-limit.ts';
import { eventLoopGuard } from './event-loop-guard.ts';
import { guardBackend } from './guarded-backend.ts';
import { rateLimit } from './rate-limit.ts';
import { requestKey } from './request-key.ts';

/**
 * The API routes' admission, in the order a request meets it, all decided
 * from the request line and headers before the body is read: rate limit ->
 * event loop -> concurrency/queue -> open breaker. Returns the middleware
 * and the backend the routes should call: behind the breaker, which counts
 * the backend's own calls (guardBackend), never what a client did.
 */
export function admissionChain(
  admission: Admission | undefined,
  backend: SearchBackend,
  opts: { rateLimitKey: 'ip' | 'api-key' | 'global'; trustProxy: boolean },
): { guards: MiddlewareHandler[]; backend: SearchBackend } {
  const guards: MiddlewareHandler[] = [];
  if (!admission) return { guards, backend };
  if (admission.rateLimiter) {
    guards.push(
      rateLimit({
        limiter: admission.rateLimiter,
        keyOf: requestKey(opts.rateLimitKey, opts.trustProxy),
      }),
    );
  }
  if (admission.eventLoop) guards.push(eventLoopGuard({ guard: admission.eventLoop }));
  if (admission.concurrency) guards.push(concurrencyLimit({ limiter: admission.concurrency }));
  if (admission.breaker) guards.push(breakerGate({ breaker: admission.breaker }));
  return {
    guards,
    backend: admission.breaker ? guardBackend(backend, admission.breaker) : backend,
  };
}

/** Counts an admission refusal by its reason in /metrics (other errors: nothing). */
export function countRefusal(err: unknown, metrics: AdmissionMetrics): void {
  if (isRateLimitedError(err)) metrics.rejections.inc({ reason: 'rate_limited' });
  else if (isOverloadedError(err)) metrics.rejections.inc({ reason: err.reason });
}
