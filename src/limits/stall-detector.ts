/**
 * Tells a backend that hangs from one that is slow: calls are in flight and
 * none has finished for a while. A saturated backend still finishes calls
 * (every few ms at any real load); a stopped or frozen one (SIGSTOP, a
 * graceful shutdown that holds its calls, a network partition without
 * resets) finishes none, and every call waits out its deadline while the
 * failure rules, which count outcomes, see nothing. The circuit breaker asks
 * it at each arrival and on a timer while calls are in flight; its state
 * machine knows nothing of how it decides.
 *
 * The bound adapts: never below `stallMs`, and at least `slowFactor` times
 * the slowest recent call (a decaying maximum), so a backend whose healthy
 * calls take 200 ms is not called stalled at 250 ms.
 */
export class StallDetector {
  readonly stallMs: number;
  readonly minInFlight: number;
  readonly slowFactor: number;
  #inFlight = 0;
  /** When the backend last showed progress: a call finished, or work arrived at an idle backend. */
  #progressAt = 0;
  #slowestRecentMs = 0;

  constructor(opts: { stallMs: number; minInFlight?: number; slowFactor?: number }) {
    if (!(opts.stallMs > 0))
      throw new TypeError(`StallDetector: stallMs must be positive, got ${opts.stallMs}`);
    this.stallMs = opts.stallMs;
    this.minInFlight = opts.minInFlight ?? 2;
    this.slowFactor = opts.slowFactor ?? 4;
  }

  /** The current bound: how long without progress counts as a stall (ms). */
  get boundMs(): number {
    return Math.max(this.stallMs, this.slowFactor * this.#slowestRecentMs);
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  started(now: number): void {
    if (this.#inFlight++ === 0) this.#progressAt = now;
  }

  finished(now: number, tookMs: number): void {
    if (this.#inFlight > 0) this.#inFlight--;
    this.#progressAt = now;
    // A decaying maximum: a spike fades to a third over about a hundred calls.
    this.#slowestRecentMs = Math.max(tookMs, this.#slowestRecentMs * 0.99);
  }

  /** Whether calls have waited `boundMs` with none finishing. */
  stalled(now: number): boolean {
    return this.#inFlight >= this.minInFlight && now - this.#progressAt >= this.boundMs;
  }

  /** Forgets the calls in flight (the breaker changed state; their outcomes no longer count). */
  reset(): void {
    this.#inFlight = 0;
  }
}
