import { OverloadedError, refusal } from './admission-errors.ts';
import { type Clock, monotonicClock } from './clock.ts';

export interface EventLoopGuardOptions {
  /** Refuse new requests while the measured event-loop delay is above this. */
  maxLagMs: number;
  /** How often the delay is sampled (an unref'd timer). @default 10 */
  sampleMs?: number;
  clock?: Clock;
}

/**
 * Sheds load on event-loop delay. With a CPU-bound backend (the embedded
 * index) a request runs from socket read to response inside one event-loop
 * turn, so a concurrency limit never sees more than one in flight: under
 * overload the queue forms before the app, in socket buffers and pending I/O
 * callbacks, and shows up only as event-loop delay. While that delay is above
 * `maxLagMs`, `check()` refuses (before the body is even parsed), which frees
 * the loop to catch up, CoDel-style. Fastify's under-pressure does the same.
 * Like CoDel, it acts on a standing delay, not on one spike: the delay must
 * exceed the limit on two samples in a row, so a lone GC pause or page fault
 * does not turn into a burst of 503s while the server has capacity to spare.
 */
export class EventLoopGuard {
  readonly maxLagMs: number;
  readonly sampleMs: number;
  readonly #clock: Clock;
  #lagMs = 0;
  #previousLagMs = 0;
  #last: number;
  #timer: ReturnType<typeof setInterval> | null = null;
  refusals = 0;

  constructor(opts: EventLoopGuardOptions) {
    if (!(opts.maxLagMs > 0))
      throw new TypeError(`EventLoopGuard: maxLagMs must be positive, got ${opts.maxLagMs}`);
    this.maxLagMs = opts.maxLagMs;
    this.sampleMs = opts.sampleMs ?? 10;
    this.#clock = opts.clock ?? monotonicClock;
    this.#last = this.#clock();
  }

  /** The latest measured delay (ms). */
  get lagMs(): number {
    return this.#lagMs;
  }

  /** The delay that has lasted: the smaller of the last two samples. */
  get sustainedLagMs(): number {
    return Math.min(this.#lagMs, this.#previousLagMs);
  }

  start(): this {
    if (this.#timer) return this;
    this.#last = this.#clock();
    this.#timer = setInterval(() => this.sample(), this.sampleMs);
    this.#timer.unref();
    return this;
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** One tick of the sampling timer: how late it ran is the loop's delay. */
  sample(): void {
    const now = this.#clock();
    this.#previousLagMs = this.#lagMs;
    this.#lagMs = Math.max(0, now - this.#last - this.sampleMs);
    this.#last = now;
  }

  /** Throws OverloadedError('event_loop_lag') while the loop is behind. */
  check(): void {
    if (this.#lagMs <= this.maxLagMs || this.#previousLagMs <= this.maxLagMs) return;
    this.refusals++;
    const lag = Math.round(this.sustainedLagMs);
    throw refusal(
      () =>
        new OverloadedError(
          'event_loop_lag',
          `server busy: event loop ${lag} ms behind (limit ${this.maxLagMs} ms)`,
          1000,
        ),
    );
  }
}
