import type { MiddlewareHandler } from 'hono';
import type { SearchBackend } from '../../backends/search-backend.ts';
import { isOverloadedError, isRateLimitedError } from '../../limits/admission-errors.ts';
import type { AppEnv } from '../app-env.ts';
import type { EarlyAnswer } from '../cached-answers.ts';
import type { AdmissionMetrics } from './admission-metrics.ts';
import { admit } from './admit.ts';
import type { Admission } from './build-admission.ts';
import { eventLoopGate, type Gate, rateLimitGate } from './gates.ts';
import { guardBackend } from './guarded-backend.ts';
import { requestKey } from './request-key.ts';

/**
 * The API routes' admission, in the order a request meets it, all decided
 * from the request line and headers before the body is read: rate limit ->
 * event loop -> (a result-cache hit, answered here) -> open breaker ->
 * concurrency/queue, then the deadline. Returns
 * the middleware and the backend the routes should call: behind the breaker,
 * which counts the backend's own calls (guardBackend), never what a client did.
 */
export function admissionChain(
  admission: Admission | undefined,
  backend: SearchBackend,
  opts: {
    rateLimitKey: 'ip' | 'api-key' | 'global';
    trustProxy: boolean;
    timeoutMs: number;
    early?: EarlyAnswer | null;
  },
): { middleware: MiddlewareHandler<AppEnv>; backend: SearchBackend } {
  const gates: Gate[] = [];
  if (admission?.rateLimiter) {
    gates.push(
      rateLimitGate({
        limiter: admission.rateLimiter,
        keyOf: requestKey(opts.rateLimitKey, opts.trustProxy),
      }),
    );
  }
  if (admission?.eventLoop) gates.push(eventLoopGate(admission.eventLoop));
  return {
    middleware: admit({
      gates,
      breaker: admission?.breaker ?? null,
      limiter: admission?.concurrency ?? null,
      timeoutMs: opts.timeoutMs,
      early: opts.early ?? null,
    }),
    backend: admission?.breaker ? guardBackend(backend, admission.breaker) : backend,
  };
}

/** Counts an admission refusal by its reason in /metrics (other errors: nothing). */
export function countRefusal(err: unknown, metrics: AdmissionMetrics): void {
  if (isRateLimitedError(err)) metrics.rejections.inc({ reason: 'rate_limited' });
  else if (isOverloadedError(err)) metrics.rejections.inc({ reason: err.reason });
}
