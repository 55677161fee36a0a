/**
 * What a queue policy may ask of the queue it governs (ConcurrencyLimiter).
 */
export interface QueueView {
  /** Requests served at once now. */
  readonly limit: number;
  /** Recent time a slot is held, ms (0 before the first release). */
  readonly holdMs: number;
  /** Requests waiting now. */
  readonly queued: number;
  /** How long the oldest waiter has waited, ms (0: nobody waits). */
  oldestWaitMs(now: number): number;
}

/** Why a newcomer is refused at arrival rather than queued. */
export interface LateArrival {
  /** The wait it could expect, ms. */
  waitMs: number;
  /** The wait the policy allows, ms. */
  mayWaitMs: number;
}

/**
 * The shedding rule of a bounded queue, apart from the queue's mechanism
 * (slots, FIFO order, timeouts): the limiter tells the policy what it served
 * and asks it whom to refuse. A new rule is a new class, not a new branch in
 * the limiter.
 */
export interface QueuePolicy {
  /** A request got its slot after waiting `waitedMs` (0: it never queued). */
  served(q: QueueView, waitedMs: number, now: number): void;
  /** A newcomer finds no free slot: refuse it now (with why), or null to queue it. */
  refuseOnArrival(q: QueueView, now: number): LateArrival | null;
  /** Whether a waiter that has waited `waitedMs` is refused instead of served late. */
  isLate(q: QueueView, waitedMs: number, now: number): boolean;
  /** A request was just refused for delay. */
  shed(now: number): void;
  /** How long the queue has been standing (ms; 0 when not): for /v1/stats. */
  standingForMs(q: QueueView, now: number): number;
  /** The longest a request may wait, ms, now. */
  targetMs(q: QueueView): number;
}

/**
 * Controlled delay (CoDel) as Facebook applies it to server queues, bounded by
 * waiting time and decided at arrival:
 * - a queue is *standing* when, for an interval, every request it served had
 *   waited longer than the target (or its oldest waiter has waited an
 *   interval past it: a queue that does not move at all);
 * - in a standing queue a newcomer whose expected wait (its place times the
 *   hold time, over the limit) is past the target is refused at once, and a
 *   waiter older than the target is refused at its turn or as soon as anyone
 *   arrives: a refusal never waits, and the queue holds only what it can
 *   serve within the target;
 * - before it stands, a queue takes a burst.
 * The target is never below 1.5 hold times, and the interval never below 4:
 * a cold worker's first slow requests, or one worker of two taking all the
 * load for a moment, are not an overload.
 */
export class CoDelPolicy implements QueuePolicy {
  readonly baseTargetMs: number;
  readonly intervalMs: number;
  /** Since when every request served had waited past the target (CoDel's first_above_time). */
  #aboveSince: number | null = null;
  /** The last refusal for delay: a queue kept short by refusals has not caught up. */
  #lastShed = Number.NEGATIVE_INFINITY;

  constructor(opts: { targetMs: number; intervalMs?: number }) {
    if (!(opts.targetMs > 0))
      throw new TypeError(`CoDelPolicy: targetMs must be positive, got ${opts.targetMs}`);
    this.baseTargetMs = opts.targetMs;
    this.intervalMs = opts.intervalMs ?? 100;
  }

  targetMs(q: QueueView): number {
    return Math.max(this.baseTargetMs, 1.5 * q.holdMs);
  }

  #interval(q: QueueView): number {
    return Math.max(this.intervalMs, 4 * q.holdMs);
  }

  served(q: QueueView, waitedMs: number, now: number): void {
    if (waitedMs > this.targetMs(q)) this.#aboveSince ??= now;
    else if (now - this.#lastShed > this.intervalMs) this.#aboveSince = null;
  }

  #standing(q: QueueView, now: number): boolean {
    const interval = this.#interval(q);
    if (this.#aboveSince !== null && now - this.#aboveSince >= interval) return true;
    return q.oldestWaitMs(now) >= this.targetMs(q) + interval;
  }

  refuseOnArrival(q: QueueView, now: number): LateArrival | null {
    // Only a standing queue refuses on an estimate: a burst, a cold start or a
    // slow batch may skew the recent hold time, and must not cost refusals.
    if (q.holdMs === 0 || !this.#standing(q, now)) return null;
    const waitMs = ((q.queued + 1) * q.holdMs) / q.limit;
    const mayWaitMs = this.targetMs(q);
    return waitMs > mayWaitMs ? { waitMs, mayWaitMs } : null;
  }

  isLate(q: QueueView, waitedMs: number, now: number): boolean {
    return waitedMs > this.targetMs(q) && this.#standing(q, now);
  }

  shed(now: number): void {
    this.#lastShed = now;
  }

  standingForMs(q: QueueView, now: number): number {
    return this.#standing(q, now) ? now - (this.#aboveSince ?? now) : 0;
  }
}
