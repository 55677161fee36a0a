import type { Context, MiddlewareHandler } from 'hono';
import { ClientClosedError, isServiceError } from '../../core/errors.ts';
import type { ConcurrencyLimiter, Permit } from '../../limits/concurrency-limiter.ts';
import { ExpiryList } from '../../limits/expiry-list.ts';
import type { AppEnv } from '../app-env.ts';
import { runWithDeadline, watchClient } from '../middleware/deadline.ts';
import { STATUS_BY_CODE } from '../problem.ts';
import type { Gate } from './gates.ts';

export interface AdmitOptions {
  /** Checked in order at arrival; the first to throw refuses. */
  gates: readonly Gate[];
  /** A concurrency slot held for the rest of the request (null: no limit). */
  limiter: ConcurrencyLimiter | null;
  /** The request's deadline once admitted (see runWithDeadline). */
  timeoutMs: number;
}

/**
 * The API routes' admission in one middleware: the gates (rate limit, event
 * loop, open breaker), then a concurrency slot (waiting in the limiter's
 * bounded queue if need be), then the route under its deadline. One
 * middleware instead of one per control: each layer of Hono middleware is an
 * async frame and a promise per request, and the controls have nothing to
 * await between them.
 *
 * A request that ends in 503/504 is reported to the limiter as a drop, which
 * shrinks an adaptive limit.
 */
export function admit(opts: AdmitOptions): MiddlewareHandler<AppEnv> {
  const { gates, limiter } = opts;
  const deadlines = new ExpiryList(opts.timeoutMs);
  return async function admit(c, next) {
    for (const gate of gates) gate(c);
    // The common case: a free slot, no promise, no queue, nothing to watch.
    const permit = limiter ? (limiter.tryAcquire() ?? (await queued(c, limiter))) : null;
    let dropped = false;
    try {
      await runWithDeadline(c, next, deadlines);
      dropped = c.res.status === 503 || c.res.status === 504;
    } catch (err) {
      // The deadline's own 504 (or a client gone) is answered further out.
      const status = isServiceError(err) ? STATUS_BY_CODE[err.code] : 500;
      dropped = status === 503 || status === 504;
      throw err;
    } finally {
      permit?.release({ dropped });
    }
  };
}

/** Waits in the limiter's queue, leaving it if the client disconnects meanwhile. */
async function queued(c: Context, limiter: ConcurrencyLimiter): Promise<Permit> {
  const gone = new AbortController();
  // A client that leaves while queued is a 499 logged as such, not a server error.
  const stop = watchClient(c, () => gone.abort(new ClientClosedError()));
  try {
    return await limiter.acquire(gone.signal); // queues, or refuses at once when full
  } finally {
    stop();
  }
}
