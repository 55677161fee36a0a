import { isServiceError } from '../core/errors.ts';
import { OverloadedError, refusal } from './admission-errors.ts';
import { type Clock, monotonicClock } from './clock.ts';

export type BreakerState =
  | { kind: 'closed' }
  | { kind: 'open'; openedAt: number; until: number; attempt: number }
  | { kind: 'half-open'; trialsInFlight: number; successes: number; attempt: number };

export type BreakerMode =
  /** Open after `threshold` failures in a row. */
  | { kind: 'consecutive'; threshold: number }
  /** Open when failures / calls >= `threshold` over the last `windowMs`, once `minVolume` calls were seen. */
  | { kind: 'rate'; threshold: number; minVolume: number; windowMs: number; buckets?: number }
  /** Either rule opens it (outlier detection: a streak of failures, or a bad ratio). */
  | {
      kind: 'outlier';
      consecutive: number;
      threshold: number;
      minVolume: number;
      windowMs: number;
      buckets?: number;
    };

export interface CircuitBreakerOptions {
  mode: BreakerMode;
  /** First open period. @default 5000 */
  openMs?: number;
  /** Each re-open after a failed trial multiplies the open period by this. @default 2 */
  backoffMultiplier?: number;
  /** Longest open period. @default 60000 */
  maxOpenMs?: number;
  /** Calls let through while half-open; all must succeed to close. @default 3 */
  halfOpenTrials?: number;
  /** Which errors count against the backend. @default timeouts, unavailability and internal errors; not the client's 4xx */
  isFailure?: (err: unknown) => boolean;
  clock?: Clock;
}

/** Backend trouble counts; a request the client got wrong does not. */
export function defaultIsFailure(err: unknown): boolean {
  if (!isServiceError(err)) return true;
  return err.code === 'unavailable' || err.code === 'deadline_exceeded' || err.code === 'internal';
}

/**
 * Circuit breaker: closed (calls pass, outcomes counted) -> open (calls fail
 * at once with OverloadedError('breaker_open')) -> after the open period,
 * half-open (`halfOpenTrials` calls pass; all succeed -> closed, one fails ->
 * open again for longer). Guards share the `execute(fn, signal)` shape.
 *
 * @example
 * const breaker = new CircuitBreaker({ mode: { kind: 'consecutive', threshold: 5 } });
 * breaker.onStateChange((s) => log.warn({ breaker: s.kind }));
 * const hits = await breaker.execute(() => backend.search(...));
 */
export class CircuitBreaker {
  readonly mode: BreakerMode;
  readonly #openMs: number;
  readonly #multiplier: number;
  readonly #maxOpenMs: number;
  readonly #trials: number;
  readonly #isFailure: (err: unknown) => boolean;
  readonly #clock: Clock;
  readonly #listeners = new Set<(s: BreakerState, previous: BreakerState) => void>();
  #state: BreakerState = { kind: 'closed' };
  #consecutive = 0;
  readonly #buckets: { start: number; calls: number; failures: number }[] = [];

  constructor(opts: CircuitBreakerOptions) {
    this.mode = opts.mode;
    if (
      opts.mode.kind === 'consecutive' &&
      !(Number.isInteger(opts.mode.threshold) && opts.mode.threshold >= 1)
    ) {
      throw new TypeError(
        `CircuitBreaker: threshold must be a positive integer, got ${opts.mode.threshold}`,
      );
    }
    if (opts.mode.kind === 'rate' && !(opts.mode.threshold > 0 && opts.mode.threshold <= 1)) {
      throw new TypeError(
        `CircuitBreaker: rate threshold must be in (0, 1], got ${opts.mode.threshold}`,
      );
    }
    this.#openMs = opts.openMs ?? 5000;
    this.#multiplier = opts.backoffMultiplier ?? 2;
    this.#maxOpenMs = opts.maxOpenMs ?? 60_000;
    this.#trials = opts.halfOpenTrials ?? 3;
    this.#isFailure = opts.isFailure ?? defaultIsFailure;
    this.#clock = opts.clock ?? monotonicClock;
  }

  /** The current state (an open breaker past its period reports half-open). */
  get state(): BreakerState {
    this.#maybeHalfOpen();
    return this.#state;
  }

  /**
   * Ends an open period early (e.g. an active health check passed): the next
   * calls are half-open trials. No effect unless open.
   */
  probeSucceeded(): void {
    const s = this.#state;
    if (s.kind === 'open') {
      this.#transition({ kind: 'half-open', trialsInFlight: 0, successes: 0, attempt: s.attempt });
    }
  }

  onStateChange(listener: (s: BreakerState, previous: BreakerState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Runs `fn` if the breaker lets it through; counts its outcome. */
  async execute<T>(fn: (signal?: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const trial = this.#admit();
    try {
      const result = await fn(signal);
      this.#record(true, trial);
      return result;
    } catch (err) {
      // A call aborted for a reason that is no failure (the client left) says
      // nothing about the backend; one aborted by its deadline does count.
      if (signal?.aborted && err === signal.reason && !this.#isFailure(err)) this.#release(trial);
      else this.#record(!this.#isFailure(err), trial);
      throw err;
    }
  }

  /** Admits or refuses a call; returns whether it is a half-open trial. */
  #admit(): boolean {
    this.#maybeHalfOpen();
    const s = this.#state;
    if (s.kind === 'closed') return false;
    if (s.kind === 'half-open' && s.trialsInFlight + s.successes < this.#trials) {
      s.trialsInFlight++;
      return true;
    }
    throw this.#refusal(s);
  }

  /**
   * Throws the breaker's refusal while it is open, without taking a half-open
   * trial slot: a cheap check at a request's arrival, before any work for it.
   */
  refuseIfOpen(): void {
    this.#maybeHalfOpen();
    if (this.#state.kind === 'open') throw this.#refusal(this.#state);
  }

  #refusal(s: BreakerState): Error {
    const retryAfterMs = s.kind === 'open' ? Math.max(0, s.until - this.#clock()) : 1000;
    return refusal(
      () =>
        new OverloadedError(
          'breaker_open',
          `backend circuit is ${s.kind}: failing fast while the backend recovers`,
          retryAfterMs,
        ),
    );
  }

  #release(trial: boolean): void {
    if (trial && this.#state.kind === 'half-open') this.#state.trialsInFlight--;
  }

  #record(ok: boolean, trial: boolean): void {
    const s = this.#state;
    if (s.kind === 'half-open' && trial) {
      s.trialsInFlight--;
      if (!ok) {
        this.#open(s.attempt + 1);
        return;
      }
      s.successes++;
      if (s.successes >= this.#trials) this.#transition({ kind: 'closed' });
      return;
    }
    if (s.kind !== 'closed') return; // a late result from before the breaker opened
    const mode = this.mode;
    if (mode.kind === 'consecutive' || mode.kind === 'outlier') {
      this.#consecutive = ok ? 0 : this.#consecutive + 1;
      const limit = mode.kind === 'consecutive' ? mode.threshold : mode.consecutive;
      if (this.#consecutive >= limit) {
        this.#open(0);
        return;
      }
      if (mode.kind === 'consecutive') return;
    }
    const { windowMs, minVolume, threshold } = mode;
    const width = windowMs / (mode.buckets ?? 10);
    const now = this.#clock();
    while (this.#buckets.length > 0 && this.#buckets[0]!.start <= now - windowMs)
      this.#buckets.shift();
    let last = this.#buckets[this.#buckets.length - 1];
    if (!last || now >= last.start + width) {
      last = { start: now - (now % width), calls: 0, failures: 0 };
      this.#buckets.push(last);
    }
    last.calls++;
    if (!ok) last.failures++;
    let calls = 0;
    let failures = 0;
    for (const b of this.#buckets) {
      calls += b.calls;
      failures += b.failures;
    }
    if (calls >= minVolume && failures / calls >= threshold) this.#open(0);
  }

  #open(attempt: number): void {
    const now = this.#clock();
    const period = Math.min(this.#maxOpenMs, this.#openMs * this.#multiplier ** attempt);
    this.#transition({ kind: 'open', openedAt: now, until: now + period, attempt });
  }

  #maybeHalfOpen(): void {
    const s = this.#state;
    if (s.kind === 'open' && this.#clock() >= s.until) {
      this.#transition({ kind: 'half-open', trialsInFlight: 0, successes: 0, attempt: s.attempt });
    }
  }

  #transition(next: BreakerState): void {
    const previous = this.#state;
    this.#state = next;
    this.#consecutive = 0;
    this.#buckets.length = 0;
    for (const l of this.#listeners) l(next, previous);
  }
}
