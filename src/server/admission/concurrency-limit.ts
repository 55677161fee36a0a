import type { MiddlewareHandler } from 'hono';
import type { ConcurrencyLimiter } from '../../limits/concurrency-limiter.ts';
import { watchClient } from '../middleware/deadline.ts';

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
