/**
 * When a circuit breaker opens: a counting rule sees every outcome of a closed
 * breaker and says when the failures are enough. The state machine
 * (circuit-breaker.ts) asks it and knows nothing of how it counts, as
 * cockatiel's ConsecutiveBreaker and SamplingBreaker sit beside its policy.
 */
export interface FailureRule {
  /** Records one outcome at `now` (ms); true when the breaker should open. */
  record(ok: boolean, now: number): boolean;
  /** Forgets everything (the breaker changed state). */
  reset(): void;
}

/** Opens after `threshold` failures in a row; a success starts the count again. */
export class ConsecutiveFailures implements FailureRule {
  readonly threshold: number;
  #count = 0;

  constructor(threshold: number) {
    if (!(Number.isInteger(threshold) && threshold >= 1))
      throw new TypeError(
        `ConsecutiveFailures: threshold must be a positive integer, got ${threshold}`,
      );
    this.threshold = threshold;
  }

  record(ok: boolean): boolean {
    this.#count = ok ? 0 : this.#count + 1;
    return this.#count >= this.threshold;
  }

  reset(): void {
    this.#count = 0;
  }
}

/**
 * Opens when failures / calls reach `threshold` over the last `windowMs`, once
 * at least `minVolume` calls were seen: a rolling window of `buckets` buckets,
 * so old outcomes leave it a bucket at a time.
 */
export class FailureRate implements FailureRule {
  readonly threshold: number;
  readonly minVolume: number;
  readonly windowMs: number;
  readonly #width: number;
  readonly #buckets: { start: number; calls: number; failures: number }[] = [];

  constructor(opts: { threshold: number; minVolume: number; windowMs: number; buckets?: number }) {
    if (!(opts.threshold > 0 && opts.threshold <= 1))
      throw new TypeError(`FailureRate: threshold must be in (0, 1], got ${opts.threshold}`);
    if (!(opts.windowMs > 0))
      throw new TypeError(`FailureRate: windowMs must be positive, got ${opts.windowMs}`);
    this.threshold = opts.threshold;
    this.minVolume = opts.minVolume;
    this.windowMs = opts.windowMs;
    this.#width = opts.windowMs / (opts.buckets ?? 10);
  }

  record(ok: boolean, now: number): boolean {
    while (this.#buckets.length > 0 && this.#buckets[0]!.start <= now - this.windowMs)
      this.#buckets.shift();
    let last = this.#buckets[this.#buckets.length - 1];
    if (!last || now >= last.start + this.#width) {
      last = { start: now - (now % this.#width), calls: 0, failures: 0 };
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
    return calls >= this.minVolume && failures / calls >= this.threshold;
  }

  reset(): void {
    this.#buckets.length = 0;
  }
}

/** Opens when any of its rules would (outlier detection: a streak, or a bad ratio). */
export class AnyFailureRule implements FailureRule {
  readonly rules: readonly FailureRule[];

  constructor(rules: readonly FailureRule[]) {
    this.rules = rules;
  }

  record(ok: boolean, now: number): boolean {
    let open = false;
    // Every rule sees every outcome, even once one says open.
    for (const r of this.rules) if (r.record(ok, now)) open = true;
    return open;
  }

  reset(): void {
    for (const r of this.rules) r.reset();
  }
}

/** The rules as settings name them. */
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

/** The rule a mode names. */
export function failureRule(mode: BreakerMode): FailureRule {
  switch (mode.kind) {
    case 'consecutive':
      return new ConsecutiveFailures(mode.threshold);
    case 'rate':
      return new FailureRate(mode);
    case 'outlier':
      return new AnyFailureRule([new ConsecutiveFailures(mode.consecutive), new FailureRate(mode)]);
  }
}
