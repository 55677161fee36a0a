import { checkPositive } from './rate-limiter.ts';

/** A concurrency limit that learns from each request's latency. */
export interface AdaptiveLimit {
  readonly limit: number;
  /** One finished request: its latency, the in-flight count it saw, and whether it was dropped (timeout, overload). */
  onSample(rttMs: number, inFlight: number, dropped: boolean): void;
}

export interface VegasLimitOptions {
  /** @default 20 */
  initialLimit?: number;
  /** @default 1 */
  minLimit?: number;
  /** @default 1000 */
  maxLimit?: number;
  /** Samples averaged per update (smooths jitter). @default 10 */
  windowSize?: number;
  /** Re-measure the no-load latency every this many updates (it may drift). @default 500 */
  probeEvery?: number;
}

/**
 * Vegas (as in Netflix concurrency-limits): from the no-load latency (the
 * lowest window average seen) and the current one, estimate how many requests
 * are queued: `queue = limit * (1 - rttNoLoad / rtt)`. Grow while the queue is
 * short (< alpha = 3 log10 limit), shrink when it is long (> beta = 6 log10
 * limit), shrink on drops. So the limit settles a few requests above the
 * concurrency at which latency starts to climb, without a hand-tuned latency
 * threshold; while the server is under-used (in-flight below half the limit)
 * it does not grow, so the limit cannot run away during quiet periods.
 *
 * Start it below the knee (initialLimit, default 20): the first windows define
 * the no-load latency, and a limit that starts deep in the queueing region
 * learns an inflated one; drops (queue timeouts, deadlines) then shrink it.
 */
export class VegasLimit implements AdaptiveLimit {
  readonly minLimit: number;
  readonly maxLimit: number;
  readonly #windowSize: number;
  readonly #probeEvery: number;
  #limit: number;
  #rttNoLoad = Number.POSITIVE_INFINITY;
  #sum = 0;
  #count = 0;
  #maxInFlight = 0;
  #dropped = false;
  #updates = 0;

  constructor(opts: VegasLimitOptions = {}) {
    this.minLimit = checkPositive('VegasLimit', 'minLimit', opts.minLimit ?? 1, true);
    this.maxLimit = checkPositive('VegasLimit', 'maxLimit', opts.maxLimit ?? 1000, true);
    if (this.minLimit > this.maxLimit)
      throw new TypeError(`VegasLimit: minLimit ${this.minLimit} > maxLimit ${this.maxLimit}`);
    this.#limit = Math.min(this.maxLimit, Math.max(this.minLimit, opts.initialLimit ?? 20));
    this.#windowSize = checkPositive('VegasLimit', 'windowSize', opts.windowSize ?? 10, true);
    this.#probeEvery = checkPositive('VegasLimit', 'probeEvery', opts.probeEvery ?? 500, true);
  }

  get limit(): number {
    return Math.floor(this.#limit);
  }

  /** The latency the limit treats as "no queue". */
  get rttNoLoad(): number {
    return this.#rttNoLoad;
  }

  onSample(rttMs: number, inFlight: number, dropped: boolean): void {
    this.#sum += rttMs;
    this.#count++;
    this.#maxInFlight = Math.max(this.#maxInFlight, inFlight);
    this.#dropped ||= dropped;
    if (this.#count < this.#windowSize) return;
    const rtt = this.#sum / this.#count;
    const inflight = this.#maxInFlight;
    const drop = this.#dropped;
    this.#sum = 0;
    this.#count = 0;
    this.#maxInFlight = 0;
    this.#dropped = false;
    this.#update(rtt, inflight, drop);
  }

  #update(rtt: number, inFlight: number, dropped: boolean): void {
    if (++this.#updates % this.#probeEvery === 0) this.#rttNoLoad = rtt; // probe: forget an old minimum
    if (rtt < this.#rttNoLoad) {
      this.#rttNoLoad = rtt;
      return;
    }
    const log = Math.max(1, Math.log10(this.#limit));
    let next = this.#limit;
    if (dropped) {
      next = this.#limit - log;
    } else if (inFlight * 2 >= this.#limit) {
      const queue = this.#limit * (1 - this.#rttNoLoad / rtt);
      if (queue <= 1) next = this.#limit + 6 * log;
      else if (queue < 3 * log) next = this.#limit + log;
      else if (queue > 6 * log) next = this.#limit - log;
    }
    this.#limit = Math.min(this.maxLimit, Math.max(this.minLimit, next));
  }
}
