import type { AdaptiveLimit } from './adaptive-limit.ts';
import { OverloadedError, refusal, type ShedReason } from './admission-errors.ts';
import { type Clock, monotonicClock } from './clock.ts';

/** The refusals this limiter makes (breaker and event-loop refusals happen elsewhere). */
type LimiterRefusal = Extract<
  ShedReason,
  'queue_full' | 'queue_timeout' | 'queue_delay' | 'concurrency_limit' | 'adaptive_limit'
>;

export interface ConcurrencyLimiterOptions {
  /** Requests served at once: a number, or an adaptive limit that changes with latency. */
  limit: number | AdaptiveLimit;
  /** Requests that may wait for a slot, first come first served; one more is refused at once. @default 0 */
  maxQueue?: number;
  /** How long a request may wait in the queue before it is refused. @default 1000 */
  queueTimeoutMs?: number;
  /**
   * Controlled delay (CoDel as Facebook applies it to server queues): once no
   * slot has been free with nobody waiting for `queueIntervalMs`, the queue is
   * a standing queue of work that cannot catch up. Then a waiter older than
   * this target is refused (at its turn, or as soon as another request
   * arrives) instead of being served late. 0 turns it off.
   * @default 0
   */
  queueTargetMs?: number;
  /** See queueTargetMs. @default 100 */
  queueIntervalMs?: number;
  clock?: Clock;
  /** Called with each queued request's wait, admitted or not (for a histogram). */
  onQueueWait?: (ms: number) => void;
}

/** Held while a request runs; release exactly once. */
export interface Permit {
  /** `dropped`: the request timed out or failed as overload (an adaptive limit shrinks on it). */
  release(outcome?: { dropped?: boolean }): void;
}

interface Waiter {
  resolve: (p: Permit) => void;
  reject: (e: unknown) => void;
  enqueuedAt: number;
  timer: ReturnType<typeof setTimeout>;
  signal?: AbortSignal;
  onAbort?: () => void;
  done: boolean;
}

/**
 * A semaphore with a bounded FIFO wait queue and a per-request queue timeout:
 * the seeds' semaphore + queue, in one place. Refusals cost no waiting on the
 * backend: a full queue is refused synchronously.
 *
 * @example
 * const limiter = new ConcurrencyLimiter({ limit: 32, maxQueue: 64, queueTimeoutMs: 200 });
 * const permit = await limiter.acquire(signal);
 * try { await work(); } finally { permit.release(); }
 */
export class ConcurrencyLimiter {
  readonly maxQueue: number;
  readonly queueTimeoutMs: number;
  readonly rejections: Record<LimiterRefusal | 'aborted', number> = {
    queue_full: 0,
    queue_timeout: 0,
    queue_delay: 0,
    concurrency_limit: 0,
    adaptive_limit: 0,
    aborted: 0,
  };
  readonly #limit: number | AdaptiveLimit;
  readonly #clock: Clock;
  readonly #onQueueWait?: (ms: number) => void;
  readonly #queue: Waiter[] = [];
  readonly #targetMs: number;
  readonly #intervalMs: number;
  /**
   * Since when every request taken from the queue had waited past the target
   * (CoDel's first_above_time); null while some are served in time.
   */
  #aboveSince: number | null = null;
  /** The last time a request was refused for delay (queue_delay): still overloaded. */
  #lastShed = Number.NEGATIVE_INFINITY;
  #head = 0;
  #waiting = 0;
  #inFlight = 0;
  /** Recent time a permit is held (ms, moving average); 0 until the first release. */
  #holdMs = 0;

  constructor(opts: ConcurrencyLimiterOptions) {
    if (typeof opts.limit === 'number' && (!Number.isInteger(opts.limit) || opts.limit < 1)) {
      throw new TypeError(
        `ConcurrencyLimiter: limit must be a positive integer or an AdaptiveLimit, got ${opts.limit}`,
      );
    }
    this.#limit = opts.limit;
    this.maxQueue = opts.maxQueue ?? 0;
    this.queueTimeoutMs = opts.queueTimeoutMs ?? 1000;
    if (!Number.isInteger(this.maxQueue) || this.maxQueue < 0) {
      throw new TypeError(
        `ConcurrencyLimiter: maxQueue must be a non-negative integer, got ${this.maxQueue}`,
      );
    }
    this.#clock = opts.clock ?? monotonicClock;
    this.#onQueueWait = opts.onQueueWait;
    this.#targetMs = opts.queueTargetMs ?? 0;
    this.#intervalMs = opts.queueIntervalMs ?? 100;
  }

  get limit(): number {
    return typeof this.#limit === 'number' ? this.#limit : this.#limit.limit;
  }
  get inFlight(): number {
    return this.#inFlight;
  }
  get queued(): number {
    return this.#waiting;
  }
  get adaptive(): boolean {
    return typeof this.#limit !== 'number';
  }

  /**
   * The synchronous fast path: a permit if a slot is free and nobody is
   * waiting (FIFO), else null. No promise, no allocation beyond the permit.
   */
  tryAcquire(): Permit | null {
    if (this.#inFlight < this.limit && this.queued === 0) {
      this.#served(0, this.#clock());
      return this.#grant();
    }
    return null;
  }

  /** True when a request that finds no free slot would be refused rather than queued. */
  get wouldRefuse(): boolean {
    return this.queued >= this.maxQueue || this.#expectedLate(this.#clock()) !== null;
  }

  /** Recent permit hold time in ms (0 before the first release). */
  get holdMs(): number {
    return this.#holdMs;
  }

  /** How long no slot has been free with nobody waiting (ms); a standing queue past QUEUE_INTERVAL. */
  get standingForMs(): number {
    const now = this.#clock();
    return this.#standing(now) ? now - this.#aboveSince! : 0;
  }

  /**
   * The target a wait is held to: QUEUE_TARGET, but never less than two hold
   * times, so a short queue in front of slow requests (a closed loop of up to
   * twice the limit in clients, as when one worker of two takes all the load)
   * is not taken for overload.
   */
  #effectiveTargetMs(): number {
    return Math.max(this.#targetMs, 1.5 * this.#holdMs);
  }

  /**
   * A request left the queue (or never entered it: waited 0) after `waitedMs`.
   * Served in time, it ends a standing queue, unless requests were still being
   * refused for delay within the last interval: a queue kept short by refusals
   * has not caught up.
   */
  #served(waitedMs: number, now: number): void {
    if (this.#targetMs <= 0) return;
    if (waitedMs > this.#effectiveTargetMs()) this.#aboveSince ??= now;
    else if (now - this.#lastShed > this.#intervalMs) this.#aboveSince = null;
  }

  /**
   * A standing queue: for a whole interval, every request served had waited
   * past the target, or the oldest waiter has waited an interval past it (a
   * queue that does not move at all, as behind a stalled backend).
   */
  #standing(now: number): boolean {
    if (this.#targetMs <= 0) return false;
    // An interval spans several requests' service: a cold worker whose first few
    // requests take 200 ms each must not count as overloaded after two of them.
    const interval = Math.max(this.#intervalMs, 4 * this.#holdMs);
    if (this.#aboveSince !== null && now - this.#aboveSince >= interval) return true;
    return this.#oldestWaitMs(now) >= this.#effectiveTargetMs() + interval;
  }

  #oldestWaitMs(now: number): number {
    for (let i = this.#head; i < this.#queue.length; i++) {
      const w = this.#queue[i]!;
      if (!w.done) return now - w.enqueuedAt;
    }
    return 0;
  }

  /**
   * Why a newcomer without a slot should be refused now rather than queued,
   * or null. Refused at arrival, not after waiting: in a standing queue, when
   * the wait it can expect (its place in the queue times the recent hold
   * time, over the limit) is longer than the target. Refusals then cost no
   * waiting, and the queue holds only what can be served within the target.
   */
  #expectedLate(now: number): { reason: 'queue_delay'; waitMs: number; mayWaitMs: number } | null {
    // Only a standing queue refuses on an estimate: a burst, a cold start or a
    // slow batch may skew the recent hold time, and must not cost refusals.
    if (this.#holdMs === 0 || !this.#standing(now)) return null;
    const waitMs = ((this.#waiting + 1) * this.#holdMs) / this.limit;
    const mayWaitMs = this.#effectiveTargetMs();
    return waitMs > mayWaitMs ? { reason: 'queue_delay', waitMs, mayWaitMs } : null;
  }

  /** A permit now, a place in the queue, or an OverloadedError. */
  acquire(signal?: AbortSignal): Promise<Permit> {
    if (signal?.aborted) {
      this.rejections.aborted++;
      return Promise.reject(signal.reason);
    }
    if (this.#inFlight < this.limit && this.queued === 0) {
      this.#served(0, this.#clock());
      return Promise.resolve(this.#grant());
    }
    if (this.#waiting > 0 && this.#standing(this.#clock())) this.#shedOld();
    if (this.queued >= this.maxQueue) {
      const reason: ShedReason =
        this.maxQueue > 0 ? 'queue_full' : this.adaptive ? 'adaptive_limit' : 'concurrency_limit';
      this.rejections[reason]++;
      return Promise.reject(
        refusal(
          () =>
            new OverloadedError(
              reason,
              `server busy: ${this.#inFlight} requests in flight (limit ${this.limit}), ${this.queued} queued (max ${this.maxQueue})`,
            ),
        ),
      );
    }
    const now = this.#clock();
    const late = this.#expectedLate(now);
    if (late) {
      this.#lastShed = now;
      this.rejections[late.reason]++;
      return Promise.reject(
        refusal(
          () =>
            new OverloadedError(
              late.reason,
              `server busy: a free slot is about ${Math.round(late.waitMs)} ms away (${this.queued} queued, limit ${this.limit}); requests wait at most ${late.mayWaitMs} ms`,
            ),
        ),
      );
    }
    return new Promise<Permit>((resolve, reject) => {
      const w: Waiter = {
        resolve,
        reject,
        enqueuedAt: this.#clock(),
        signal,
        done: false,
        timer: setTimeout(() => {
          if (w.done) return;
          this.#finish(w);
          this.rejections.queue_timeout++;
          reject(
            refusal(
              () =>
                new OverloadedError(
                  'queue_timeout',
                  `waited ${this.queueTimeoutMs} ms for a free slot`,
                ),
            ),
          );
        }, this.queueTimeoutMs),
      };
      if (signal) {
        w.onAbort = () => {
          if (w.done) return;
          this.#finish(w);
          this.rejections.aborted++;
          reject(signal.reason);
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.#queue.push(w);
      this.#waiting++;
    });
  }

  #finish(w: Waiter): void {
    w.done = true;
    this.#waiting--;
    clearTimeout(w.timer);
    if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
    this.#onQueueWait?.(this.#clock() - w.enqueuedAt);
  }

  #grant(): Permit {
    this.#inFlight++;
    const started = this.#clock();
    const seen = this.#inFlight;
    let released = false;
    return {
      release: (outcome) => {
        if (released) return;
        released = true;
        this.#inFlight--;
        const held = this.#clock() - started;
        this.#holdMs = this.#holdMs === 0 ? held : this.#holdMs + (held - this.#holdMs) / 16;
        if (typeof this.#limit !== 'number')
          this.#limit.onSample(held, seen, outcome?.dropped ?? false);
        this.#drain();
      },
    };
  }

  /** Refuses, from the head, the waiters that already waited past the target. */
  #shedOld(): void {
    const now = this.#clock();
    for (let i = this.#head; i < this.#queue.length; i++) {
      const w = this.#queue[i]!;
      if (w.done) continue;
      const waited = now - w.enqueuedAt;
      if (waited <= this.#effectiveTargetMs()) break; // FIFO: the rest are younger
      this.#refuseLate(w, waited, now);
    }
  }

  #refuseLate(w: Waiter, waited: number, now: number): void {
    this.#lastShed = now;
    this.#finish(w);
    this.rejections.queue_delay++;
    w.reject(
      refusal(
        () =>
          new OverloadedError(
            'queue_delay',
            `waited ${Math.round(waited)} ms in a queue that has stood for ${Math.round(now - (this.#aboveSince ?? now))} ms (target ${Math.round(this.#effectiveTargetMs())} ms)`,
          ),
      ),
    );
  }

  #drain(): void {
    while (this.#inFlight < this.limit && this.#head < this.#queue.length) {
      const w = this.#queue[this.#head]!;
      this.#queue[this.#head++] = undefined as unknown as Waiter;
      if (w.done) continue; // timed out, aborted or shed while waiting
      const now = this.#clock();
      const waited = now - w.enqueuedAt;
      if (waited > this.#effectiveTargetMs() && this.#standing(now)) {
        // A standing queue: serving this one late helps nobody; the next is fresher.
        this.#refuseLate(w, waited, now);
        continue;
      }
      this.#finish(w);
      this.#served(waited, now);
      w.resolve(this.#grant());
    }
    // Compact the array once the consumed prefix dominates it.
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
  }
}
