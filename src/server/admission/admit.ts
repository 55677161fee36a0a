import type { MiddlewareHandler } from 'hono';
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
  const { deadlines, trialDeadlines } = deadlineLists(opts.timeoutMs, breaker);
  return async function admit(c, next) {
    for (const gate of gates) gate(c);
    if (early) {
      const res = await early(c);
      if (res) return res;
    }
    await throughSlot(
      breaker,
      limiter,
      (gone) => watchClient(c, gone),
      async (trial) => {
        await runWithDeadline(c, next, trial ? trialDeadlines : deadlines);
        return c.res.status;
      },
    );
  };
}

/**
 * `run` (the request once admitted; it returns its answer's status) through
 * the breaker (refusing while open; `trial` for a half-open trial, which gets
 * its short deadline) and a concurrency slot (waiting in the limiter's
 * bounded queue if need be). A request that ends in 503/504 is reported to
 * the limiter as a drop, which shrinks an adaptive limit; a 5xx but 501 to the
 * breaker as a failure. Returns the status.
 */
export async function throughSlot(
  breaker: CircuitBreaker | null,
  limiter: ConcurrencyLimiter | null,
  watch: (onGone: () => void) => () => void,
  run: (trial: boolean) => Promise<number>,
): Promise<number> {
  const pass = breaker?.enter() ?? null;
  let permit: Permit | null = null;
  let status = 500;
  try {
    // The common case: a free slot, no promise, no queue, nothing to watch.
    permit = limiter ? (limiter.tryAcquire() ?? (await waitForSlot(limiter, watch))) : null;
    status = await run(pass?.trial ?? false);
  } catch (err) {
    // The deadline's own 504 (or a client gone) is answered further out.
    status = isServiceError(err) ? STATUS_BY_CODE[err.code] : 500;
    throw err;
  } finally {
    permit?.release({ dropped: status === 503 || status === 504 });
    if (pass) breaker!.leave(pass, status >= 500 && status !== 501);
  }
  return status;
}

/** The deadlines of admitted requests, and the shorter ones of the breaker's half-open trials. */
export function deadlineLists(
  timeoutMs: number,
  breaker: CircuitBreaker | null,
): { deadlines: ExpiryList; trialDeadlines: ExpiryList } {
  const deadlines = new ExpiryList(timeoutMs);
  const trialMs = breaker?.trialTimeoutMs ?? 0;
  return {
    deadlines,
    trialDeadlines: trialMs > 0 ? new ExpiryList(Math.min(trialMs, timeoutMs)) : deadlines,
  };
}

/**
 * Waits in the limiter's queue, leaving it if the client disconnects
 * meanwhile (`watch` calls back then): a client that leaves while queued is
 * a 499 logged as such, not a server error.
 */
export async function waitForSlot(
  limiter: ConcurrencyLimiter,
  watch: (onGone: () => void) => () => void,
): Promise<Permit> {
  const gone = new AbortController();
  const stop = watch(() => gone.abort(new ClientClosedError()));
  try {
    return await limiter.acquire(gone.signal); // queues, or refuses at once when full
  } finally {
    stop();
  }
}
