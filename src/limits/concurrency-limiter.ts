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
   * Controlled delay (CoDel as Facebook applies it to server queues): once the
   * queue has not been empty for `queueIntervalMs`, it is a standing queue of
   * work that cannot catch up, and a waiter older than this target is refused
   * at once when its turn comes instead of being served late. 0 turns it off.
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
  /** When the queue last went from empty to waiting (set as the first waiter enqueues). */
  #lastEmpty = 0;
  #head = 0;
  #waiting = 0;
  #inFlight = 0;

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
    this.#lastEmpty = this.#clock();
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
    return this.#inFlight < this.limit && this.queued === 0 ? this.#grant() : null;
  }

  /** True when a request that finds no free slot would be refused rather than queued. */
  get wouldRefuse(): boolean {
    return this.queued >= this.maxQueue;
  }

  /** A permit now, a place in the queue, or an OverloadedError. */
  acquire(signal?: AbortSignal): Promise<Permit> {
    if (signal?.aborted) {
      this.rejections.aborted++;
      return Promise.reject(signal.reason);
    }
    if (this.#inFlight < this.limit && this.queued === 0) return Promise.resolve(this.#grant());
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
      if (this.#waiting === 0) this.#lastEmpty = w.enqueuedAt;
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
        if (typeof this.#limit !== 'number')
          this.#limit.onSample(this.#clock() - started, seen, outcome?.dropped ?? false);
        this.#drain();
      },
    };
  }

  #drain(): void {
    while (this.#inFlight < this.limit && this.#head < this.#queue.length) {
      const w = this.#queue[this.#head]!;
      this.#queue[this.#head++] = undefined as unknown as Waiter;
      if (w.done) continue; // timed out or aborted while waiting
      const now = this.#clock();
      const waited = now - w.enqueuedAt;
      this.#finish(w);
      if (
        this.#targetMs > 0 &&
        waited > this.#targetMs &&
        now - this.#lastEmpty > this.#intervalMs
      ) {
        // A standing queue: serving this one late helps nobody; the next is fresher.
        this.rejections.queue_delay++;
        w.reject(
          refusal(
            () =>
              new OverloadedError(
                'queue_delay',
                `waited ${Math.round(waited)} ms in a queue that has not drained for ${Math.round(now - this.#lastEmpty)} ms (target ${this.#targetMs} ms)`,
              ),
          ),
        );
        continue;
      }
      w.resolve(this.#grant());
    }
    // Compact the array once the consumed prefix dominates it.
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
  }
}
