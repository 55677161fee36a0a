import { isServiceError } from '../core/errors.ts';
import { OverloadedError, refusal } from './admission-errors.ts';
import { type Clock, monotonicClock } from './clock.ts';
import { type BreakerMode, type FailureRule, failureRule } from './failure-rules.ts';
import { isSharedFailure } from './shared-failure.ts';
import { StallDetector } from './stall-detector.ts';

export type { BreakerMode } from './failure-rules.ts';

export type BreakerState =
  | { kind: 'closed' }
  | { kind: 'open'; openedAt: number; until: number; attempt: number }
  | { kind: 'half-open'; trialsInFlight: number; successes: number; attempt: number };

export interface CircuitBreakerOptions {
  /** When to open: a counting rule (failure-rules.ts), or a mode that names one. */
  rule?: FailureRule;
  mode?: BreakerMode;
  /** First open period. @default 5000 */
  openMs?: number;
  /** Each re-open after a failed trial multiplies the open period by this. @default 2 */
  backoffMultiplier?: number;
  /** Longest open period. @default 60000 */
  maxOpenMs?: number;
  /** Calls let through while half-open; all must succeed to close. @default 3 */
  halfOpenTrials?: number;
  /**
   * A half-open trial that has not answered in this long has failed: the
   * breaker opens again and the caller is refused at once, rather than
   * waiting out its own deadline on a backend that may still be down.
   * 0: a trial waits as long as its call does. @default 2000
   */
  trialTimeoutMs?: number;
  /** Which errors count against the backend. @default timeouts, unavailability and internal errors; not the client's 4xx */
  isFailure?: (err: unknown) => boolean;
  /**
   * Opens the breaker when calls are in flight and none has finished for this
   * long (stall-detector.ts): a backend that hangs instead of failing. The
   * abandonable calls in flight (searches) are then refused at once instead of
   * waiting out their deadline. 0: off. @default 0
   */
  stallMs?: number;
  clock?: Clock;
}

/** How a call may be treated: an abandonable one (a read) is refused when the backend stalls. */
export interface CallOptions {
  abandonable?: boolean;
}

/** What `enter` gave a request: a half-open trial (of which period), or a pass of a closed breaker. */
export interface BreakerPass {
  readonly trial: boolean;
  readonly epoch: number;
}

const CLOSED_PASS: BreakerPass = { trial: false, epoch: -1 };

/** Backend trouble counts; a request the client got wrong does not. */
export function defaultIsFailure(err: unknown): boolean {
  if (!isServiceError(err)) return true;
  return err.code === 'unavailable' || err.code === 'deadline_exceeded' || err.code === 'internal';
}

/**
 * Circuit breaker: closed (calls pass, outcomes counted by the rule) -> open
 * (calls fail at once with OverloadedError('breaker_open')) -> after the open
 * period, half-open (`halfOpenTrials` calls pass, each with a deadline of its
 * own; all succeed -> closed, one fails or times out -> open again for
 * longer). Every other call is refused at once in every state but closed.
 * Guards share the `execute(fn, signal)` shape.
 *
 * @example
 * const breaker = new CircuitBreaker({ mode: { kind: 'consecutive', threshold: 5 } });
 * breaker.onStateChange((s) => log.warn({ breaker: s.kind }));
 * const hits = await breaker.execute(() => backend.search(...));
 */
export class CircuitBreaker {
  readonly rule: FailureRule;
  readonly #openMs: number;
  readonly #multiplier: number;
  readonly #maxOpenMs: number;
  readonly #trials: number;
  readonly #trialTimeoutMs: number;
  readonly #isFailure: (err: unknown) => boolean;
  /** The last failure counted: the same error seen by another caller is not counted again. */
  #lastFailure: object | null = null;
  #lastFailureAt = Number.NEGATIVE_INFINITY;
  readonly #clock: Clock;
  readonly #listeners = new Set<(s: BreakerState, previous: BreakerState) => void>();
  readonly stall: StallDetector | null;
  #stallTimer: ReturnType<typeof setInterval> | null = null;
  /** Abandonable calls in flight while closed: refused at once if the backend stalls. */
  readonly #abandonable = new Set<(err: Error) => void>();
  #state: BreakerState = { kind: 'closed' };
  /** Requests let in at arrival during the current half-open period, and which period that is. */
  #trialArrivals = 0;
  #epoch = 0;

  constructor(opts: CircuitBreakerOptions) {
    if (!opts.rule && !opts.mode) throw new TypeError('CircuitBreaker: a rule or a mode is needed');
    this.rule = opts.rule ?? failureRule(opts.mode!);
    this.#openMs = opts.openMs ?? 5000;
    this.#multiplier = opts.backoffMultiplier ?? 2;
    this.#maxOpenMs = opts.maxOpenMs ?? 60_000;
    this.#trials = opts.halfOpenTrials ?? 3;
    this.#trialTimeoutMs = opts.trialTimeoutMs ?? 2000;
    if (!(Number.isInteger(this.#trials) && this.#trials >= 1))
      throw new TypeError(
        `CircuitBreaker: halfOpenTrials must be a positive integer, got ${this.#trials}`,
      );
    this.#isFailure = opts.isFailure ?? defaultIsFailure;
    this.#clock = opts.clock ?? monotonicClock;
    this.stall = opts.stallMs ? new StallDetector({ stallMs: opts.stallMs }) : null;
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
  async execute<T>(
    fn: (signal?: AbortSignal) => Promise<T>,
    signal?: AbortSignal,
    opts: CallOptions = {},
  ): Promise<T> {
    const trial = this.#admit();
    const late = trial ? this.#trialDeadline() : null;
    // Closed: the call counts towards stall detection, and a read may be abandoned.
    const watched = !trial && this.stall !== null;
    const epoch = this.#epoch;
    const startedAt = watched ? this.#clock() : 0;
    let abandoned: Promise<never> | null = null;
    let abandon: ((err: Error) => void) | null = null;
    if (watched) {
      this.stall!.started(startedAt);
      this.#watchForStall();
      if (opts.abandonable) {
        abandoned = new Promise<never>((_, reject) => {
          abandon = reject;
        });
        this.#abandonable.add(abandon!);
      }
    }
    let wasAbandoned = false;
    try {
      const call = fn(signal);
      const raced = late ? [call, late.expired] : abandoned ? [call, abandoned] : null;
      const result = await (raced ? Promise.race(raced) : call);
      this.#record(true, trial);
      return result;
    } catch (err) {
      wasAbandoned = abandon !== null && !this.#abandonable.has(abandon);
      // A call aborted for a reason that is no failure (the client left) says
      // nothing about the backend; one aborted by its deadline does count, and
      // so does a trial that got no answer in time. An abandoned one was
      // already judged (the backend stalled).
      if (wasAbandoned) throw err;
      if (late?.passed) this.#record(false, trial);
      else if (signal?.aborted && err === signal.reason && !this.#isFailure(err))
        this.#release(trial);
      else this.#record(!this.#isFailure(err), trial, err);
      throw err;
    } finally {
      late?.clear();
      if (abandon) this.#abandonable.delete(abandon);
      // A call from before a state change no longer counts (the detector forgot it).
      if (watched && !wasAbandoned && epoch === this.#epoch) {
        const now = this.#clock();
        this.stall!.finished(now, now - startedAt);
      }
    }
  }

  /**
   * Checks for a stall on a timer while calls are in flight, not only when
   * the next request arrives: the searches stuck on a backend that froze
   * between arrivals (or the last ones before traffic stopped) are refused
   * within about a quarter of the bound past it, not at their deadline. One
   * unref'd interval per breaker, armed from idle and gone when idle again.
   */
  #watchForStall(): void {
    if (this.#stallTimer !== null || this.stall === null) return;
    const stall = this.stall;
    this.#stallTimer = setInterval(
      () => {
        if (stall.inFlight === 0 || this.#state.kind !== 'closed') {
          clearInterval(this.#stallTimer!);
          this.#stallTimer = null;
          return;
        }
        this.#maybeStalled();
      },
      Math.max(10, stall.stallMs / 4),
    );
    this.#stallTimer.unref();
  }

  /** Opens the breaker if the backend stalled, and refuses the abandonable calls stuck on it. */
  #maybeStalled(): void {
    const stall = this.stall;
    if (stall === null || this.#state.kind !== 'closed') return;
    const now = this.#clock();
    if (!stall.stalled(now)) return;
    const inFlight = stall.inFlight;
    const bound = Math.round(stall.boundMs);
    this.#open(0);
    const stuck = [...this.#abandonable];
    this.#abandonable.clear();
    for (const reject of stuck)
      reject(
        refusal(
          () =>
            new OverloadedError(
              'breaker_open',
              `backend stalled: ${inFlight} calls in flight and none finished in ${bound} ms`,
              this.#openMs,
            ),
        ),
      );
  }

  /** A half-open trial's own deadline: a refusal once `trialTimeoutMs` has passed. */
  #trialDeadline(): { expired: Promise<never>; passed: boolean; clear(): void } | null {
    if (this.#trialTimeoutMs <= 0) return null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = {
      passed: false,
      expired: new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          deadline.passed = true;
          reject(
            refusal(
              () =>
                new OverloadedError(
                  'breaker_open',
                  `backend circuit is half-open and its trial got no answer in ${this.#trialTimeoutMs} ms`,
                  this.#openMs,
                ),
            ),
          );
        }, this.#trialTimeoutMs);
      }),
      clear: () => clearTimeout(timer),
    };
    deadline.expired.catch(() => undefined); // observed by the race
    return deadline;
  }

  /** Admits or refuses a call; returns whether it is a half-open trial. */
  #admit(): boolean {
    this.#maybeHalfOpen();
    this.#maybeStalled();
    const s = this.#state;
    if (s.kind === 'closed') return false;
    if (s.kind === 'half-open' && s.trialsInFlight + s.successes < this.#trials) {
      s.trialsInFlight++;
      return true;
    }
    throw this.#refusal(s);
  }

  /**
   * Throws the breaker's refusal unless a request arriving now would be let
   * in (closed, or half-open with fewer than `halfOpenTrials` requests let in
   * this period), without letting it in: a cheap check before any work.
   */
  refuseAtArrival(): void {
    this.#maybeHalfOpen();
    this.#maybeStalled();
    const s = this.#state;
    if (s.kind === 'closed') return;
    if (s.kind === 'half-open' && this.#trialArrivals < this.#trials) return;
    throw this.#refusal(s);
  }

  /** Throws the breaker's refusal while it is open (half-open lets calls through). */
  refuseIfOpen(): void {
    this.#maybeHalfOpen();
    if (this.#state.kind === 'open') throw this.#refusal(this.#state);
  }

  /**
   * Lets a request in at arrival, or throws the refusal. While half-open only
   * `halfOpenTrials` requests at a time are let in (a request's metadata
   * calls, which the breaker does not count, could otherwise keep every
   * arrival waiting on a backend that is still down); each is a trial request,
   * and the caller gives it the trial's deadline. Call `leave` with the result
   * when the request ends.
   */
  enter(): BreakerPass {
    this.refuseAtArrival();
    if (this.#state.kind === 'closed') return CLOSED_PASS;
    this.#trialArrivals++;
    return { trial: true, epoch: this.#epoch };
  }

  /**
   * A request let in by `enter` has ended; `failed`: a trial request that got
   * no good answer from the backend (its short deadline passed, the backend
   * was unavailable) opens the breaker again, even if it never reached a
   * counted call (it may have waited on a metadata call).
   */
  leave(pass: BreakerPass, failed = false): void {
    if (!pass.trial || pass.epoch !== this.#epoch) return;
    if (this.#trialArrivals > 0) this.#trialArrivals--;
    const s = this.#state;
    if (failed && s.kind === 'half-open') this.#open(s.attempt + 1);
  }

  /** A trial request's deadline (ms), or 0 when trials have none. */
  get trialTimeoutMs(): number {
    return this.#trialTimeoutMs;
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

  #record(ok: boolean, trial: boolean, err?: unknown): void {
    const s = this.#state;
    // One backend call's failure reaches every caller it served (a micro-batch
    // rejects all its searches with the same error): it is one failure. Counted
    // once per caller, a single failed batch of 5 searches opened the breaker
    // (5 in a row) and refused every search for seconds on a Milvus cluster
    // that had lost one query node of two and answered the rest.
    // Only the fan-out of one call, though (marked by whoever fanned it out): a
    // client whose connect failed rejects every later call with its one stored
    // error, and those are failures each.
    if (!ok && isSharedFailure(err)) {
      const now = this.#clock();
      if (err === this.#lastFailure && now - this.#lastFailureAt <= SAME_FAILURE_MS && !trial)
        return;
      this.#lastFailure = err;
      this.#lastFailureAt = now;
    }
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
    if (this.rule.record(ok, this.#clock())) this.#open(0);
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
    this.#epoch++;
    this.#trialArrivals = 0;
    this.rule.reset();
    this.stall?.reset();
    for (const l of this.#listeners) l(next, previous);
  }
}

/** A shared failure seen again within this long (ms) is the same call's (a fan-out runs in one turn). */
const SAME_FAILURE_MS = 5;
