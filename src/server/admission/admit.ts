import type { Context, MiddlewareHandler } from 'hono';
import { ClientClosedError, isServiceError } from '../../core/errors.ts';
import type { CircuitBreaker } from '../../limits/circuit-breaker.ts';
import type { ConcurrencyLimiter, Permit } from '../../limits/concurrency-limiter.ts';
import { ExpiryList } from '../../limits/expiry-list.ts';
import type { AppEnv } from '../app-env.ts';
import type { EarlyAnswer } from '../cached-answers.ts';
import { runWithDeadline, watchClient } from '../middleware/deadline.ts';
import { STATUS_BY_CODE } from '../problem.ts';
import type { Gate } from './gates.ts';

export interface AdmitOptions {
  /** Checked in order at arrival; the first to throw refuses. */
  gates: readonly Gate[];
  /** Lets a request in, or refuses it (open, or half-open with its trials taken); a trial gets its deadline. */
  breaker: CircuitBreaker | null;
  /** A concurrency slot held for the rest of the request (null: no limit). */
  limiter: ConcurrencyLimiter | null;
  /** The request's deadline once admitted (see runWithDeadline). */
  timeoutMs: number;
  /** After the gates, before the breaker and a slot: an answer that needs neither (a result-cache hit). */
  early?: EarlyAnswer | null;
}

/**
 * The API routes' admission in one middleware: the gates (rate limit, event
 * loop), the breaker (refusing while open; half-open, letting in a few trial
 * requests with a short deadline of their own), then a concurrency slot
 * (waiting in the limiter's bounded queue if need be), then the route under
 * its deadline. A result-cache hit is answered after the gates, before the
 * breaker and a slot (see cached-answers.ts). One
 * middleware instead of one per control: each layer of Hono middleware is an
 * async frame and a promise per request, and the controls have nothing to
 * await between them.
 *
 * A request that ends in 503/504 is reported to the limiter as a drop, which
 * shrinks an adaptive limit.
 */
export function admit(opts: AdmitOptions): MiddlewareHandler<AppEnv> {
  const { gates, limiter, breaker, early } = opts;
  const deadlines = new ExpiryList(opts.timeoutMs);
  const trialMs = breaker?.trialTimeoutMs ?? 0;
  const trialDeadlines =
    trialMs > 0 ? new ExpiryList(Math.min(trialMs, opts.timeoutMs)) : deadlines;
  return async function admit(c, next) {
    for (const gate of gates) gate(c);
    if (early) {
      const res = await early(c);
      if (res) return res;
    }
    const pass = breaker?.enter() ?? null;
    let permit: Permit | null = null;
    let status = 500;
    try {
      // The common case: a free slot, no promise, no queue, nothing to watch.
      permit = limiter ? (limiter.tryAcquire() ?? (await queued(c, limiter))) : null;
      await runWithDeadline(c, next, pass?.trial ? trialDeadlines : deadlines);
      status = c.res.status;
    } catch (err) {
      // The deadline's own 504 (or a client gone) is answered further out.
      status = isServiceError(err) ? STATUS_BY_CODE[err.code] : 500;
      throw err;
    } finally {
      permit?.release({ dropped: status === 503 || status === 504 });
      if (pass) breaker!.leave(pass, status >= 500 && status !== 501);
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
