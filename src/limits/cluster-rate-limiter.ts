import { LruMap } from './lru-map.ts';
import { checkPositive, type RateDecision, type RateLimiter } from './rate-limiter.ts';
import { rollWindow, slidingWindowDecision, type WindowCounts } from './sliding-window.ts';

/** One key's counts across the cluster, as the shared store holds them after a sync. */
export interface SharedKeyCounts {
  /** Requests admitted cluster-wide in the current and the previous window. */
  admitted: number;
  previousAdmitted: number;
  /** Requests seen (admitted or refused): cluster-wide and by this worker, same two windows. */
  seen: number;
  previousSeen: number;
  mySeen: number;
  myPreviousSeen: number;
}

export interface SharedSyncReply {
  /** Workers that synced within the store's liveness horizon (this one included). */
  workers: number;
  counts: Map<string, SharedKeyCounts>;
}

/** What one worker counted for a key since its last sync, by the window the requests came in. */
export interface SharedDelta {
  admitted: number;
  seen: number;
  /** Counted in the window before `window` (the sync came after the window changed). */
  previousAdmitted: number;
  previousSeen: number;
}

/**
 * Where the cluster's counts live (Redis in production, see src/cluster/).
 * `sync` adds this worker's counts since its last sync to window `window`
 * and returns the cluster's counts of the same keys, in one round trip.
 */
export interface SharedRateStore {
  sync(worker: string, window: number, deltas: Map<string, SharedDelta>): Promise<SharedSyncReply>;
}

export interface ClusterRateLimiterOptions {
  /** Requests per second per key, for the whole cluster. */
  limit: number;
  store: SharedRateStore;
  /** This worker's name in the store (host:pid). */
  worker: string;
  /** How often counts are exchanged with the store. @default 25 */
  syncIntervalMs?: number;
  /** Workers assumed in the cluster until the store has said (the fallback's divisor). */
  expectedWorkers: number;
  /** Keys remembered. @default 10000 */
  maxKeys?: number;
  /** Wall clock (windows are aligned across hosts by it). */
  now?: () => number;
  onStateChange?: (shared: boolean) => void;
}

interface KeyState {
  /** Local admissions left until the next sync. */
  allowance: number;
  /** Counted here, not yet sent to the store: in window `window`, and in the one before it. */
  window: number;
  admitted: number;
  seen: number;
  previousAdmitted: number;
  previousSeen: number;
  /** Cluster-wide estimate of the window's use at the last sync (sliding-window counter). */
  used: number;
  lastSeenMs: number;
  /**
   * What this worker admitted, by window, whatever decided it (never reset by a sync):
   * the local share counts against it, so a flap to the fallback and back hands out no
   * fresh budget for the window.
   */
  own: WindowCounts;
}

const WINDOW_MS = 1000;

/**
 * A rate limit that holds across every worker of every host, decided without
 * waiting on the store: each request is judged synchronously against a local
 * allowance, and every `syncIntervalMs` the worker sends what it admitted and
 * saw to the shared store and gets the cluster's counts back. The allowance
 * until the next sync is what the cluster has left in its sliding window
 * (two fixed windows weighted, as SlidingWindowCounter does) times this
 * worker's share of the key's traffic, so the workers' allowances add up to
 * what is left and a key's limit is not multiplied by the number of hosts.
 *
 * When the store fails a sync (down, slow past its timeout), decisions fall at
 * once to a local sliding window holding this worker's share of the budget
 * (the limit divided by the workers last seen in the cluster), and return to
 * the shared counts at the first sync that succeeds. A failed sync loses
 * nothing (its counts go with the next one) and the local window counts what
 * the worker admitted before the failure, so syncs failing now and then (a
 * busy event loop past REDIS_TIMEOUT) do not raise the limit: they raised it 31%
 * with about one sync in nine failing, before both. No request ever waits on the
 * store: the added cost is a map lookup.
 */
export class ClusterRateLimiter implements RateLimiter {
  readonly name = 'cluster-sliding-window';
  readonly policy: { quota: number; windowSeconds: number };
  readonly limit: number;
  readonly syncIntervalMs: number;
  readonly #store: SharedRateStore;
  readonly #worker: string;
  readonly #now: () => number;
  readonly #states: LruMap<KeyState>;
  readonly #onStateChange?: (shared: boolean) => void;
  #workers: number;
  #shared = true;
  #timer: NodeJS.Timeout | null = null;
  #syncing = false;
  /** Counters for /metrics and describe. */
  syncs = 0;
  syncFailures = 0;
  lastSyncMs = 0;

  constructor(opts: ClusterRateLimiterOptions) {
    this.limit = checkPositive('ClusterRateLimiter', 'limit', opts.limit);
    this.syncIntervalMs = checkPositive(
      'ClusterRateLimiter',
      'syncIntervalMs',
      opts.syncIntervalMs ?? 25,
    );
    this.#workers = checkPositive('ClusterRateLimiter', 'expectedWorkers', opts.expectedWorkers);
    this.policy = { quota: Math.round(this.limit), windowSeconds: 1 };
    this.#store = opts.store;
    this.#worker = opts.worker;
    this.#now = opts.now ?? Date.now;
    this.#states = new LruMap(opts.maxKeys ?? 10_000);
    this.#onStateChange = opts.onStateChange;
  }

  get size(): number {
    return this.#states.size;
  }

  /** True while decisions use the cluster's counts; false while on the local fallback. */
  get shared(): boolean {
    return this.#shared;
  }

  /** Workers in the cluster as the store last said. */
  get workers(): number {
    return this.#workers;
  }

  take(key: string): RateDecision {
    const now = this.#now();
    let s = this.#states.get(key);
    if (s === undefined) {
      // A key not yet synced starts with this worker's even share of a full window.
      s = {
        allowance: this.limit / this.#workers,
        window: Math.floor(now / WINDOW_MS),
        admitted: 0,
        seen: 0,
        previousAdmitted: 0,
        previousSeen: 0,
        used: 0,
        lastSeenMs: now,
        own: { window: Math.floor(now / WINDOW_MS), current: 0, previous: 0 },
      };
      this.#states.set(key, s);
    }
    roll(s, Math.floor(now / WINDOW_MS));
    s.lastSeenMs = now;
    s.seen++;
    if (!this.#shared) {
      // This worker's share of the budget, against what it admitted in the window so far.
      const d = slidingWindowDecision(s.own, now, this.#localLimit(), WINDOW_MS);
      if (d.allowed) s.admitted++;
      return d;
    }
    const resetMs = WINDOW_MS - (now % WINDOW_MS);
    // A fraction of a request left in the allowance admits with that probability: flooring
    // it would lose up to one request per worker per sync (W x 40/s at 25 ms).
    if (s.allowance >= 1 || (s.allowance > 0 && Math.random() < s.allowance)) {
      s.allowance = Math.max(0, s.allowance - 1);
      s.admitted++;
      rollWindow(s.own, Math.floor(now / WINDOW_MS));
      s.own.current++;
      return {
        allowed: true,
        limit: this.policy.quota,
        remaining: Math.max(0, Math.floor(this.limit - s.used - s.admitted)),
        resetMs,
        retryAfterMs: 0,
      };
    }
    return {
      allowed: false,
      limit: this.policy.quota,
      remaining: 0,
      resetMs,
      // Room frees as the window slides; the next sync tells this worker its share of it.
      retryAfterMs: Math.max(this.syncIntervalMs, Math.min(resetMs, WINDOW_MS)),
    };
  }

  /** Starts the sync loop (unref'd: it never keeps the process alive). */
  start(): this {
    if (!this.#timer) {
      this.#timer = setInterval(() => void this.sync(), this.syncIntervalMs);
      this.#timer.unref();
    }
    return this;
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** One exchange with the store (the loop calls it; tests may call it directly). */
  async sync(): Promise<void> {
    if (this.#syncing) return;
    this.#syncing = true;
    const started = this.#now();
    const window = Math.floor(started / WINDOW_MS);
    // Keys active in the last two windows: their counts still weigh in the sliding window.
    const deltas = new Map<string, SharedDelta>();
    const sent = new Map<string, KeyState>();
    for (const [key, s] of this.#states.entries()) {
      if (started - s.lastSeenMs > 2 * WINDOW_MS) continue;
      roll(s, window);
      deltas.set(key, {
        admitted: s.admitted,
        seen: s.seen,
        previousAdmitted: s.previousAdmitted,
        previousSeen: s.previousSeen,
      });
      sent.set(key, s);
      s.admitted = s.seen = s.previousAdmitted = s.previousSeen = 0;
    }
    try {
      const reply = await this.#store.sync(this.#worker, window, deltas);
      this.syncs++;
      this.lastSyncMs = this.#now() - started;
      if (reply.workers >= 1) this.#workers = reply.workers;
      const now = this.#now();
      // The allowance is spent until the next sync, by when the window will have slid one
      // more interval: weigh the previous window as it will be then, or every interval
      // would leave the freed interval's share unused (a steady 2.5% under the limit at 25 ms).
      const frac = Math.min(1, ((now % WINDOW_MS) + this.syncIntervalMs) / WINDOW_MS);
      const sameWindow = Math.floor(now / WINDOW_MS) === window;
      for (const [key, s] of sent) {
        const c = reply.counts.get(key);
        if (!c || !sameWindow) continue; // a window turned during the sync: the next one decides
        // Sliding-window counter: the previous window weighs by the part of it still inside.
        s.used = c.previousAdmitted * (1 - frac) + c.admitted;
        const seen = c.previousSeen * (1 - frac) + c.seen;
        const mine = c.myPreviousSeen * (1 - frac) + c.mySeen;
        // At least an even share: a worker that has seen little of a key (a new host, a quiet
        // client) is not starved while the cluster has room; near the limit `used` catches
        // any excess at the next sync, so the total stays at the limit (see the tests).
        const share = Math.max(seen > 0 ? mine / seen : 0, 1 / this.#workers);
        // What was admitted here while the sync was in flight is already spent from the new allowance.
        s.allowance = Math.max(0, this.limit - s.used) * share - s.admitted;
      }
      this.#setShared(true);
    } catch {
      this.syncFailures++;
      // The counts go with the next sync (a later window's keeps only what still weighs).
      for (const [key, s] of sent) restore(s, window, deltas.get(key)!);
      // Until a sync succeeds the local share decides.
      this.#setShared(false);
    } finally {
      this.#syncing = false;
    }
  }

  #setShared(shared: boolean): void {
    if (shared === this.#shared) return;
    this.#shared = shared;
    this.#onStateChange?.(shared);
  }

  /** This worker's share of the budget, for while the store cannot be reached. */
  #localLimit(): number {
    return Math.max(1, Math.round(this.limit / this.#workers));
  }
}

/** Puts back counts a failed sync took for `window` (the key may have moved on to a later one). */
function restore(s: KeyState, window: number, d: SharedDelta): void {
  if (s.window === window) {
    s.admitted += d.admitted;
    s.seen += d.seen;
    s.previousAdmitted += d.previousAdmitted;
    s.previousSeen += d.previousSeen;
  } else if (s.window === window + 1) {
    s.previousAdmitted += d.admitted;
    s.previousSeen += d.seen;
  }
}

/** Moves a key's unsent counts along when its window has turned (older than one window: dropped). */
function roll(s: KeyState, window: number): void {
  if (s.window === window) return;
  if (s.window === window - 1) {
    s.previousAdmitted = s.admitted;
    s.previousSeen = s.seen;
  } else {
    s.previousAdmitted = s.previousSeen = 0;
  }
  s.admitted = s.seen = 0;
  s.window = window;
}
