import { OverloadedError, refusal } from './admission-errors.ts';
import { type Clock, type CpuClock, monotonicClock, processCpuMs } from './clock.ts';

export interface EventLoopGuardOptions {
  /** Refuse new requests once the event loop is this far behind on its own work. */
  maxLagMs: number;
  /** How often a timer checks in (an unref'd interval). @default 10 */
  sampleMs?: number;
  /**
   * Share of the wall time since the timer last ran that this process must
   * have spent on the CPU for the delay to be its own work. @default 0.75
   */
  busyShare?: number;
  /**
   * After the first request it checks, the bound starts `coldStartFactor` times
   * higher and falls back to `maxLagMs` over this long (0: no cold start). @default 3000
   */
  coldStartMs?: number;
  /** @default 4 */
  coldStartFactor?: number;
  /**
   * How long the loop must have been behind (every turn over `maxLagMs`)
   * before a turn over the bound is refused, and how long refusing goes on
   * once it started. @default 100
   */
  intervalMs?: number;
  /** A single turn this far behind is refused even when the loop was not behind before. @default 4 x maxLagMs */
  maxTurnMs?: number;
  clock?: Clock;
  cpuClock?: CpuClock;
}

/**
 * Sheds load on event-loop delay. With search on the event loop (the
 * embedded index, no search threads) a request runs from socket read to
 * response inside the turn that read it, so no in-flight counter sees a
 * queue: under overload one turn reads hundreds of requests and runs them
 * back to back, and the queue is the rest of that turn. The guard asks, for
 * every request, how long the current turn has already run (the time since
 * its timer last fired, past its period): once that is over `maxLagMs`, the
 * rest of the turn is refused at once (before the body is parsed), so
 * admitted requests wait at most about `maxLagMs` and the turn ends.
 *
 * A delay that is not the server's own work is not refused: when the
 * process spent less than `busyShare` of that time on the CPU, the loop was
 * descheduled (a neighbour on a shared core) or paused, and refusing would
 * shed load the server can serve.
 *
 * Nor is a backlog the loop works off by itself. After a pause (a GC, a
 * neighbour taking the core, a sibling worker dying and its replacement
 * booting), the requests that arrived meanwhile are read and run in one long
 * turn of the process's own work, and the turns after it are short again:
 * refusing that turn's tail only fails requests that already waited. So, as
 * CoDel tells a standing queue from a burst, a turn over the bound is refused
 * only while the loop has been behind for `intervalMs` (every turn since then
 * ended over `maxLagMs`), or once refusing has begun (it goes on until the
 * loop has kept up for `intervalMs`), or when the turn alone runs past
 * `maxTurnMs`: a flood's first turn is cut there, every later one at the
 * bound. Measured before this rule: 195 refusals at 568/s (a quarter of the
 * capacity) when a PM2 worker was SIGKILLed, and 8-17 a second at 138/s over
 * a Milvus cluster while it recovered from a fault (CI, 2 cores).
 *
 * Nor is a cold start: the first turns of a new worker run code V8 has not
 * optimised yet, so the same requests take longer, and a closed loop of 50
 * clients on one core (a turn of about 18 ms warm) was refused 53-90 times in
 * its first second. So the bound starts `coldStartFactor` times higher at the
 * first request checked and falls linearly to `maxLagMs` over `coldStartMs`:
 * a flood at start-up waits a few turns longer, then is refused as always.
 */
export class EventLoopGuard {
  readonly maxLagMs: number;
  readonly sampleMs: number;
  readonly busyShare: number;
  readonly coldStartMs: number;
  readonly coldStartFactor: number;
  readonly intervalMs: number;
  readonly maxTurnMs: number;
  readonly #clock: Clock;
  readonly #cpu: CpuClock;
  #lagMs = 0;
  /** When the current run of turns over `maxLagMs` began (null: the last turn kept up). */
  #behindSince: number | null = null;
  /** Refusing goes on until then (extended by every refusal). */
  #refusingUntil = Number.NEGATIVE_INFINITY;
  /** When the timer last ran, and the process's CPU then. */
  #tickAt: number;
  #cpuAtTick: number;
  #timer: ReturnType<typeof setInterval> | null = null;
  /** When the first request was checked (the cold start's beginning). */
  #firstCheckAt: number | null = null;
  // What the current turn (since the timer last ran) has learnt, forgotten at each tick:
  /** The turn is known to be the process's own work. */
  #ownWork = false;
  /** The last CPU-clock reading past the bound: when, and the CPU used since the tick. */
  #cpuReadAt = Number.NEGATIVE_INFINITY;
  #cpuUsed = 0;
  /** The turn's refusal (its first refused request's lag). */
  #turnError: OverloadedError | null = null;
  /** The start of the last turn counted in `backlogTurns`. */
  #turnBacklog = Number.NaN;
  refusals = 0;
  /** Delays seen over the bound that were not the process's own work (not refused). */
  notOwnWork = 0;
  /** Turns over the bound admitted as a backlog the loop was working off (not refused). */
  backlogTurns = 0;

  constructor(opts: EventLoopGuardOptions) {
    if (!(opts.maxLagMs > 0))
      throw new TypeError(`EventLoopGuard: maxLagMs must be positive, got ${opts.maxLagMs}`);
    this.maxLagMs = opts.maxLagMs;
    this.sampleMs = opts.sampleMs ?? 10;
    this.busyShare = opts.busyShare ?? 0.75;
    this.coldStartMs = opts.coldStartMs ?? 3000;
    this.coldStartFactor = opts.coldStartFactor ?? 4;
    this.intervalMs = opts.intervalMs ?? 100;
    this.maxTurnMs = opts.maxTurnMs ?? 4 * this.maxLagMs;
    if (!(this.coldStartMs >= 0) || !(this.coldStartFactor >= 1))
      throw new TypeError(
        `EventLoopGuard: coldStartMs must be >= 0 and coldStartFactor >= 1, got ${this.coldStartMs} and ${this.coldStartFactor}`,
      );
    if (!(this.intervalMs >= 0) || !(this.maxTurnMs >= this.maxLagMs))
      throw new TypeError(
        `EventLoopGuard: intervalMs must be >= 0 and maxTurnMs >= maxLagMs, got ${this.intervalMs} and ${this.maxTurnMs}`,
      );
    this.#clock = opts.clock ?? monotonicClock;
    this.#cpu = opts.cpuClock ?? processCpuMs;
    this.#tickAt = this.#clock();
    this.#cpuAtTick = this.#cpu();
  }

  /** The delay of the timer's last run (ms). */
  get lagMs(): number {
    return this.#lagMs;
  }

  /** How far behind the loop is now: how late the timer's next run already is (ms). */
  get currentLagMs(): number {
    return Math.max(0, this.#clock() - this.#tickAt - this.sampleMs);
  }

  start(): this {
    if (this.#timer) return this;
    this.#newTurn(this.#clock());
    this.#timer = setInterval(() => this.sample(), this.sampleMs);
    this.#timer.unref();
    return this;
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** One run of the timer: how late it ran is the loop's delay. */
  sample(): void {
    const now = this.#clock();
    this.#lagMs = Math.max(0, now - this.#tickAt - this.sampleMs);
    if (this.#lagMs <= this.maxLagMs) this.#behindSince = null;
    else this.#behindSince ??= this.#tickAt;
    this.#newTurn(now);
  }

  /** The timer ran at `now`: a new turn begins, judged afresh. */
  #newTurn(now: number): void {
    this.#tickAt = now;
    this.#cpuAtTick = this.#cpu();
    this.#ownWork = false;
    this.#cpuReadAt = Number.NEGATIVE_INFINITY;
    this.#turnError = null;
  }

  /** The bound now: `maxLagMs`, higher during the cold start. */
  #boundAt(now: number): number {
    if (this.coldStartMs <= 0 || this.#firstCheckAt === null) return this.maxLagMs;
    const left = 1 - (now - this.#firstCheckAt) / this.coldStartMs;
    return left <= 0 ? this.maxLagMs : this.maxLagMs * (1 + (this.coldStartFactor - 1) * left);
  }

  /** Throws OverloadedError('event_loop_lag') while the loop is behind on its own work. */
  check(): void {
    const refused = this.refusalNow();
    if (refused) throw refused;
  }

  /**
   * The refusal for a request arriving now, or null to admit it. Under a flood
   * most of a turn's requests are refused, so a refusal is cheap: the CPU
   * clock (a getrusage call, 20 us here) is read at most once a millisecond
   * and not again once the turn is known to be the process's own work, and
   * one error is built per turn, not per request.
   */
  refusalNow(): OverloadedError | null {
    const now = this.#clock();
    this.#firstCheckAt ??= now;
    const sinceTick = now - this.#tickAt;
    const lag = sinceTick - this.sampleMs;
    if (lag <= this.maxLagMs) return null;
    const bound = this.#boundAt(now);
    if (lag <= bound) return null;
    // Over the bound: a standing queue, or a backlog the loop is working off?
    const standing =
      lag > this.maxTurnMs ||
      now < this.#refusingUntil ||
      (this.#behindSince !== null && now - this.#behindSince >= this.intervalMs);
    if (!standing) {
      if (this.#turnBacklog !== this.#tickAt) {
        this.#turnBacklog = this.#tickAt;
        this.backlogTurns++;
      }
      return null;
    }
    // Was it this process working (a queue), or did it not get the CPU?
    if (!this.#ownWork) {
      if (now - this.#cpuReadAt >= CPU_RECHECK_MS) {
        this.#cpuReadAt = now;
        this.#cpuUsed = this.#cpu() - this.#cpuAtTick;
      }
      if (this.#cpuUsed < this.busyShare * (this.#cpuReadAt - this.#tickAt)) {
        this.notOwnWork++;
        return null;
      }
      this.#ownWork = true;
    }
    this.refusals++;
    this.#refusingUntil = now + this.intervalMs;
    if (!this.#turnError) {
      this.#turnError = refusal(
        () =>
          new OverloadedError(
            'event_loop_lag',
            `server busy: event loop ${Math.round(lag)} ms behind on its own work (limit ${Math.round(bound)} ms)`,
            1000,
          ),
      );
    }
    return this.#turnError;
  }
}

/** How stale a CPU-clock reading may be when judging whether a delay is the process's own work. */
const CPU_RECHECK_MS = 1;
