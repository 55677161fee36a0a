/**
 * The one interface every rate limiter implements: a decision per request key,
 * made synchronously in well under a microsecond, with what the client needs to
 * know (the quota, what is left, and when to come back).
 */
export interface RateDecision {
  allowed: boolean;
  /** Requests allowed per window (the policy's quota). */
  limit: number;
  /** Requests left in the current window (0 when denied). */
  remaining: number;
  /** Milliseconds until the quota is fully available again. */
  resetMs: number;
  /** When denied: milliseconds until one request would be allowed. */
  retryAfterMs: number;
}

export interface RateLimiter {
  /** A short name for RateLimit-Policy, e.g. "token-bucket". */
  readonly name: string;
  /** The quota, in the IETF draft's terms: q requests per w seconds. */
  readonly policy: { quota: number; windowSeconds: number };
  /** Counts one request for `key` if allowed. */
  take(key: string): RateDecision;
  /** Keys currently tracked (bounded by the LRU). */
  readonly size: number;
}

/** Options shared by the keyed limiters. */
export interface KeyedOptions {
  /** Most keys remembered; the least recently used is forgotten first. @default 10000 */
  maxKeys?: number;
}

export function checkPositive(
  owner: string,
  name: string,
  value: unknown,
  integer = false,
): number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value <= 0 ||
    (integer && !Number.isInteger(value))
  ) {
    throw new TypeError(
      `${owner}: ${name} must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}
