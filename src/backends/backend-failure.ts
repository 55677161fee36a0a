import { UnavailableError } from '../core/errors.ts';
import { defaultIsFailure } from '../limits/circuit-breaker.ts';

/**
 * What a circuit breaker in front of a backend counts, apart from any
 * backend's client library: admission imports it for every backend, and the
 * Milvus SDK it would otherwise pull in costs an embedded worker 0.45 s of
 * start-up and 30 MB.
 */

/**
 * True for the Milvus pool's own refusals (its wait queue full, or no client
 * free in time): our queue, not the backend failing. A circuit breaker must
 * not count them, or a burst past the pool opens it on a healthy backend.
 */
export function isPoolWait(err: unknown): boolean {
  const reason = (err as { detail?: { reason?: unknown } } | null)?.detail?.reason;
  return (
    err instanceof UnavailableError && (reason === 'pool_timeout' || reason === 'pool_queue_full')
  );
}

/** What a breaker counts: backend trouble, not our own pool's queue. */
export function isBackendFailure(err: unknown): boolean {
  return defaultIsFailure(err) && !isPoolWait(err);
}
