import { ServiceError } from '../core/errors.ts';

/** Why a request was refused by admission control (a metrics label and a body field). */
export type ShedReason =
  | 'queue_full'
  | 'queue_timeout'
  | 'queue_delay'
  | 'concurrency_limit'
  | 'adaptive_limit'
  | 'breaker_open'
  | 'event_loop_lag';

/** A client over its quota: 429. */
export class RateLimitedError extends ServiceError {
  readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs: number, detail: Record<string, unknown> = {}) {
    super('rate_limited', message, { reason: 'rate_limited', ...detail });
    this.retryAfterMs = retryAfterMs;
  }
}

/** The server shedding load to protect itself: 503. */
export class OverloadedError extends ServiceError {
  readonly reason: ShedReason;
  readonly retryAfterMs: number;
  constructor(reason: ShedReason, message: string, retryAfterMs = 1000) {
    super('overloaded', message, { reason });
    this.reason = reason;
    this.retryAfterMs = retryAfterMs;
  }
}

export const isRateLimitedError = (e: unknown): e is RateLimitedError =>
  e instanceof RateLimitedError;
export const isOverloadedError = (e: unknown): e is OverloadedError => e instanceof OverloadedError;

/**
 * Builds a refusal without capturing a stack trace: refusals are expected
 * control flow on the hot path under overload, and the capture costs more
 * than the admission decision itself (see bench/admission-micro.ts).
 */
export function refusal<E extends Error>(make: () => E): E {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
