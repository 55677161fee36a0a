import type { MiddlewareHandler } from 'hono';
import type { CircuitBreaker } from '../../limits/circuit-breaker.ts';

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
