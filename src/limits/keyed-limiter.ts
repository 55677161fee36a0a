import { type Clock, monotonicClock } from './clock.ts';
import { LruMap } from './lru-map.ts';
import type { RateDecision, RateLimiter } from './rate-limiter.ts';

/**
 * What the keyed rate limiters share: per-key state in an LRU bounded by
 * `maxKeys`, an injected clock, and the policy they advertise. Subclasses
 * implement only their algorithm: `initial(now)` and `decide(state, now)`.
 */
export abstract class KeyedLimiter<S> implements RateLimiter {
  abstract readonly name: string;
  readonly policy: { quota: number; windowSeconds: number };
  readonly #states: LruMap<S>;
  readonly #clock: Clock;

  protected constructor(
    opts: { maxKeys?: number; clock?: Clock },
    policy: { quota: number; windowSeconds: number },
  ) {
    this.#states = new LruMap(opts.maxKeys ?? 10_000);
    this.#clock = opts.clock ?? monotonicClock;
    this.policy = policy;
  }

  get size(): number {
    return this.#states.size;
  }

  take(key: string): RateDecision {
    const now = this.#clock();
    let state = this.#states.get(key);
    if (state === undefined) {
      state = this.initial(now);
      this.#states.set(key, state);
    }
    return this.decide(state, now);
  }

  /** State of a key seen for the first time. */
  protected abstract initial(now: number): S;
  /** Counts one request against `state` (mutating it) if allowed. */
  protected abstract decide(state: S, now: number): RateDecision;
}
