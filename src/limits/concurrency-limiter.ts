import type { AdaptiveLimit } from './adaptive-limit.ts';
import { OverloadedError, refusal, type ShedReason } from './admission-errors.ts';
import { type Clock, monotonicClock } from './clock.ts';
import { CoDelPolicy, type QueuePolicy, type QueueView } from './queue-policy.ts';

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
  /** Who is refused for waiting too long (queue-policy.ts). @default CoDel when queueTargetMs > 0, else none */
  policy?: QueuePolicy | null;
  /** Shorthand for `policy: new CoDelPolicy({ targetMs, intervalMs })`. 0: no policy. @default 0 */
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
 * A semaphore with a bounded FIFO wait queue and a per-request queue timeout;
 * whom to refuse for waiting too long is its policy's call (queue-policy.ts).
 * Refusals cost no waiting on the backend: a full queue is refused
 * synchronously.
 *
 * @example
 * const limiter = new ConcurrencyLimiter({ limit: 32, maxQueue: 64, queueTimeoutMs: 200 });
 * const permit = limiter.tryAcquire() ?? (await limiter.acquire(signal));
 * try { await work(); } finally { permit.release(); }
 */
export class ConcurrencyLimiter implements QueueView {
  readonly maxQueue: number;
  readonly queueTimeoutMs: number;
  readonly policy: QueuePolicy | null;
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
  #head = 0;
  #waiting = 0;
  #inFlight = 0;
  /** Recent time a permit is held (ms, moving average over about 16 releases). */
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
    this.policy =
      opts.policy !== undefined
        ? opts.policy
        : (opts.queueTargetMs ?? 0) > 0
          ? new CoDelPolicy({ targetMs: opts.queueTargetMs!, intervalMs: opts.queueIntervalMs })
          : null;
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
  /** Recent permit hold time in ms (0 before the first release). */
  get holdMs(): number {
    return this.#holdMs;
  }

  /** How long the queue has been standing (ms; 0 when not, or without a policy). */
  get standingForMs(): number {
    return this.policy?.standingForMs(this, this.#clock()) ?? 0;
  }

  oldestWaitMs(now: number): number {
    for (let i = this.#head; i < this.#queue.length; i++) {
      const w = this.#queue[i]!;
      if (!w.done) return now - w.enqueuedAt;
    }
    return 0;
  }

  /**
   * The synchronous fast path: a permit if a slot is free and nobody is
   * waiting (FIFO), else null. No promise, no allocation beyond the permit.
   */
  tryAcquire(): Permit | null {
    if (this.#inFlight < this.limit && this.#waiting === 0) {
      this.policy?.served(this, 0, this.#clock());
      return this.#grant();
    }
    return null;
  }

  /** True when a request that finds no free slot would be refused rather than queued. */
  get wouldRefuse(): boolean {
    return (
      this.#waiting >= this.maxQueue || this.policy?.refuseOnArrival(this, this.#clock()) != null
    );
  }

  /**
   * Throws, synchronously and counted, the refusal `acquire` would give a
   * request arriving now (no free slot, and the queue full or standing), and
   * does nothing when it would be served or queued: a check before any work
   * is done for the request.
   */
  refuseIfFull(): void {
    if (this.#inFlight < this.limit && this.#waiting === 0) return;
    const refused = this.#arrivalRefusal(this.#clock());
    if (refused) throw refused;
  }

  /** Why a request that finds no free slot is refused now (counted), or null to queue it. */
  #arrivalRefusal(now: number): OverloadedError | null {
    if (this.#waiting > 0) this.#shedLate(now);
    if (this.#waiting >= this.maxQueue) {
      const reason: LimiterRefusal =
        this.maxQueue > 0 ? 'queue_full' : this.adaptive ? 'adaptive_limit' : 'concurrency_limit';
      return this.#refusal(
        reason,
        `server busy: ${this.#inFlight} requests in flight (limit ${this.limit}), ${this.#waiting} queued (max ${this.maxQueue})`,
      );
    }
    const late = this.policy?.refuseOnArrival(this, now);
    if (late) {
      this.policy!.shed(now);
      return this.#refusal(
        'queue_delay',
        `server busy: a free slot is about ${Math.round(late.waitMs)} ms away (${this.#waiting} queued, limit ${this.limit}); requests wait at most ${Math.round(late.mayWaitMs)} ms`,
      );
    }
    return null;
  }

  /** A permit now, a place in the queue, or an OverloadedError. */
  acquire(signal?: AbortSignal): Promise<Permit> {
    if (signal?.aborted) {
      this.rejections.aborted++;
      return Promise.reject(signal.reason);
    }
    const now = this.#clock();
    const free = this.tryAcquire();
    if (free) return Promise.resolve(free);
    const refused = this.#arrivalRefusal(now);
    if (refused) return Promise.reject(refused);
    return new Promise<Permit>((resolve, reject) => {
      const w: Waiter = {
        resolve,
        reject,
        enqueuedAt: now,
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

  #refusal(reason: LimiterRefusal, message: string): OverloadedError {
    this.rejections[reason]++;
    return refusal(() => new OverloadedError(reason, message));
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

  /** Refuses, from the head, the waiters the policy calls late (a newcomer arrived). */
  #shedLate(now: number): void {
    for (let i = this.#head; i < this.#queue.length; i++) {
      const w = this.#queue[i]!;
      if (w.done) continue;
      const waited = now - w.enqueuedAt;
      if (!this.policy?.isLate(this, waited, now)) break; // FIFO: the rest are younger
      this.#refuseLate(w, waited, now);
    }
  }

  #refuseLate(w: Waiter, waited: number, now: number): void {
    this.policy?.shed(now);
    this.#finish(w);
    this.rejections.queue_delay++;
    const standing = this.policy?.standingForMs(this, now) ?? 0;
    const target = this.policy?.targetMs(this) ?? 0;
    w.reject(
      refusal(
        () =>
          new OverloadedError(
            'queue_delay',
            `waited ${Math.round(waited)} ms in a queue that has stood for ${Math.round(standing)} ms (target ${Math.round(target)} ms)`,
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
      if (this.policy?.isLate(this, waited, now)) {
        // A standing queue: serving this one late helps nobody; the next is fresher.
        this.#refuseLate(w, waited, now);
        continue;
      }
      this.#finish(w);
      this.policy?.served(this, waited, now);
      w.resolve(this.#grant());
    }
    // Compact the array once the consumed prefix dominates it.
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
  }
}
