import { OverloadedError, refusal } from './admission-errors.ts';
import { type Clock, monotonicClock } from './clock.ts';
import { KeyedLimiter } from './keyed-limiter.ts';
import { checkPositive, type KeyedOptions, type RateDecision } from './rate-limiter.ts';

const EPSILON = 1e-9;

export interface LeakyBucketOptions extends KeyedOptions {
  /** Requests drained per second. */
  ratePerSecond: number;
  /** Bucket size: requests that may be "in the bucket" at once. @default ratePerSecond */
  capacity?: number;
  clock?: Clock;
}

interface Level {
  level: number;
  at: number;
}

/**
 * Leaky bucket as a meter (no queue): each request pours one unit in, the
 * bucket drains at `ratePerSecond`, and a request that would overflow
 * `capacity` is denied. Unlike the token bucket it has no stored burst credit
 * beyond `capacity`; nginx's `limit_req` without `burst` behaves like this.
 */
export class LeakyBucket extends KeyedLimiter<Level> {
  readonly name = 'leaky-bucket';
  readonly rate: number;
  readonly capacity: number;

  constructor(opts: LeakyBucketOptions) {
    const rate = checkPositive('LeakyBucket', 'ratePerSecond', opts.ratePerSecond);
    const capacity = checkPositive('LeakyBucket', 'capacity', opts.capacity ?? opts.ratePerSecond);
    super(opts, {
      quota: Math.floor(capacity),
      windowSeconds: Math.max(1, Math.ceil(capacity / rate)),
    });
    this.rate = rate;
    this.capacity = capacity;
  }

  protected initial(now: number): Level {
    return { level: 0, at: now };
  }

  protected decide(l: Level, now: number): RateDecision {
    l.level = Math.max(0, l.level - ((now - l.at) * this.rate) / 1000);
    l.at = now;
    const allowed = l.level + 1 <= this.capacity + EPSILON;
    if (allowed) l.level += 1;
    return {
      allowed,
      limit: this.policy.quota,
      remaining: Math.max(0, Math.floor(this.capacity - l.level)),
      resetMs: Math.ceil((l.level / this.rate) * 1000),
      retryAfterMs: allowed ? 0 : Math.ceil(((l.level + 1 - this.capacity) / this.rate) * 1000),
    };
  }
}

export interface LeakyQueueOptions {
  /** Requests released per second, evenly spaced. */
  ratePerSecond: number;
  /** Requests that may wait; one more is refused at once. */
  capacity: number;
  clock?: Clock;
  /** Timer to wait with (injectable for tests). @default setTimeout */
  schedule?: (fn: () => void, ms: number) => { cancel(): void };
}

/**
 * Leaky bucket as a shaping queue: requests leave at a steady 1/rate spacing,
 * waiting their turn instead of being refused, until `capacity` are waiting.
 * `acquire` resolves at the request's departure time, rejects with
 * OverloadedError('queue_full') when the queue is full, and gives the slot
 * back if the caller's signal aborts while it waits.
 */
export class LeakyQueue {
  readonly interval: number;
  readonly capacity: number;
  readonly #clock: Clock;
  readonly #schedule: NonNullable<LeakyQueueOptions['schedule']>;
  #nextDeparture = Number.NEGATIVE_INFINITY;
  #waiting = 0;

  constructor(opts: LeakyQueueOptions) {
    this.interval = 1000 / checkPositive('LeakyQueue', 'ratePerSecond', opts.ratePerSecond);
    this.capacity = checkPositive('LeakyQueue', 'capacity', opts.capacity, true);
    this.#clock = opts.clock ?? monotonicClock;
    this.#schedule =
      opts.schedule ??
      ((fn, ms) => {
        const t = setTimeout(fn, ms);
        return { cancel: () => clearTimeout(t) };
      });
  }

  get waiting(): number {
    return this.#waiting;
  }

  acquire(signal?: AbortSignal): Promise<void> {
    const now = this.#clock();
    const departure = Math.max(now, this.#nextDeparture + this.interval);
    const wait = departure - now;
    if (wait <= 0) {
      this.#nextDeparture = departure;
      return Promise.resolve();
    }
    if (this.#waiting >= this.capacity) {
      return Promise.reject(
        refusal(
          () =>
            new OverloadedError(
              'queue_full',
              `shaping queue is full (${this.capacity} waiting)`,
              wait,
            ),
        ),
      );
    }
    this.#nextDeparture = departure;
    this.#waiting++;
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        timer.cancel();
        this.#waiting--;
        // Give the slot back only if nobody was scheduled after us.
        if (this.#nextDeparture === departure) this.#nextDeparture -= this.interval;
        reject(signal!.reason);
      };
      const timer = this.#schedule(() => {
        this.#waiting--;
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, wait);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
