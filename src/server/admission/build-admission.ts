import { isBackendFailure } from '../../backends/backend-failure.ts';
import { VegasLimit } from '../../limits/adaptive-limit.ts';
import { CircuitBreaker } from '../../limits/circuit-breaker.ts';
import { ClusterRateLimiter, type SharedRateStore } from '../../limits/cluster-rate-limiter.ts';
import { ConcurrencyLimiter } from '../../limits/concurrency-limiter.ts';
import { EventLoopGuard } from '../../limits/event-loop-guard.ts';
import { LeakyBucket } from '../../limits/leaky-bucket.ts';
import type { RateLimiter } from '../../limits/rate-limiter.ts';
import { SlidingWindowCounter, SlidingWindowLog } from '../../limits/sliding-window.ts';
import { TokenBucket } from '../../limits/token-bucket.ts';

/**
 * What one worker's admission controls are, in their own units (per second,
 * milliseconds); the composition root (compose.ts) derives them from the
 * settings. A null part is switched off.
 */
export interface AdmissionOptions {
  rate: {
    /** The deployment-wide rate and burst (requests/s) ... */
    perSecond: number;
    burst: number;
    /** ... shared by this many workers (1 outside PM2; see compose.ts). */
    workers: number;
    algorithm: 'token-bucket' | 'leaky-bucket' | 'sliding-window' | 'sliding-log';
    maxKeys: number;
    /** One limit across every worker of every host, counted in a shared store (null: per worker). */
    shared: { syncIntervalMs: number; worker: string } | null;
  } | null;
  /** Refuse while the event loop lags more than this (0: off). */
  maxEventLoopLagMs: number;
  /** See EventLoopGuard: the interval and the longest turn admitted as a backlog (0: none). @default 100 */
  eventLoopBacklogMs?: number;
  concurrency: {
    limit: number;
    /** Vegas adapts the limit up to this (null: fixed limit). */
    adaptiveMaxLimit: number | null;
    maxQueue: number;
    queueTimeoutMs: number;
    queueTargetMs: number;
    queueIntervalMs: number;
  } | null;
  breaker: {
    openMs: number;
    maxOpenMs: number;
    halfOpenTrials: number;
    trialTimeoutMs: number;
    /** No call finished for this long with calls in flight: the backend stalled (0: off). */
    stallMs: number;
    mode:
      | { kind: 'consecutive'; threshold: number }
      | { kind: 'rate'; threshold: number; minVolume: number; windowMs: number };
  } | null;
}

/** The admission controls one worker enforces, built from the configuration. */
export interface Admission {
  rateLimiter: RateLimiter | null;
  /** The rate limiter when it is cluster-wide (the same object as rateLimiter), for its sync state. */
  clusterRate: ClusterRateLimiter | null;
  /** The configured deployment-wide rate and this worker's share of it. */
  rate: { configured: number; perWorker: number; workers: number } | null;
  eventLoop: EventLoopGuard | null;
  concurrency: ConcurrencyLimiter | null;
  breaker: CircuitBreaker | null;
}

export function createAdmission(
  options: AdmissionOptions,
  opts: {
    onQueueWait?: (ms: number) => void;
    /** Where a cluster-wide rate limit keeps its counts (required when rate.shared is set). */
    sharedRateStore?: SharedRateStore;
    onSharedRateChange?: (shared: boolean) => void;
  } = {},
): Admission {
  let rateLimiter: RateLimiter | null = null;
  let clusterRate: ClusterRateLimiter | null = null;
  let rate: Admission['rate'] = null;
  if (options.rate?.shared) {
    if (!opts.sharedRateStore) throw new TypeError('a shared rate limit needs a sharedRateStore');
    // The whole limit, not a share: the store's counts make it hold across workers and hosts.
    clusterRate = new ClusterRateLimiter({
      limit: options.rate.perSecond,
      store: opts.sharedRateStore,
      worker: options.rate.shared.worker,
      syncIntervalMs: options.rate.shared.syncIntervalMs,
      expectedWorkers: options.rate.workers,
      maxKeys: options.rate.maxKeys,
      onStateChange: opts.onSharedRateChange,
    }).start();
    rateLimiter = clusterRate;
    rate = {
      configured: options.rate.perSecond,
      perWorker: options.rate.perSecond / options.rate.workers,
      workers: options.rate.workers,
    };
  } else if (options.rate) {
    // In-process limiters are per worker: each takes its share of the deployment's rate.
    const { workers, maxKeys } = options.rate;
    const perWorker = options.rate.perSecond / workers;
    const burst = options.rate.burst / workers;
    rate = { configured: options.rate.perSecond, perWorker, workers };
    switch (options.rate.algorithm) {
      case 'token-bucket':
        rateLimiter = new TokenBucket({
          ratePerSecond: perWorker,
          burst: Math.max(1, burst),
          maxKeys,
        });
        break;
      case 'leaky-bucket':
        rateLimiter = new LeakyBucket({
          ratePerSecond: perWorker,
          capacity: Math.max(1, burst),
          maxKeys,
        });
        break;
      case 'sliding-window':
        rateLimiter = new SlidingWindowCounter({
          limit: Math.max(1, Math.round(perWorker)),
          windowMs: 1000,
          maxKeys,
        });
        break;
      case 'sliding-log':
        rateLimiter = new SlidingWindowLog({
          limit: Math.max(1, Math.round(perWorker)),
          windowMs: 1000,
          maxKeys,
        });
        break;
    }
  }
  // EVENT_LOOP_BACKLOG is both how long the loop must be behind and the longest lone turn served.
  const backlogMs = options.eventLoopBacklogMs ?? 100;
  const eventLoop =
    options.maxEventLoopLagMs > 0
      ? new EventLoopGuard({
          maxLagMs: options.maxEventLoopLagMs,
          intervalMs: backlogMs,
          maxTurnMs: Math.max(options.maxEventLoopLagMs, backlogMs),
        }).start()
      : null;
  let concurrency: ConcurrencyLimiter | null = null;
  const c = options.concurrency;
  if (c) {
    const limit =
      c.adaptiveMaxLimit !== null
        ? new VegasLimit({
            initialLimit: Math.min(c.limit || 20, c.adaptiveMaxLimit),
            maxLimit: c.adaptiveMaxLimit,
          })
        : c.limit;
    concurrency = new ConcurrencyLimiter({
      limit,
      maxQueue: c.maxQueue,
      queueTimeoutMs: c.queueTimeoutMs,
      queueTargetMs: c.queueTargetMs,
      queueIntervalMs: c.queueIntervalMs,
      onQueueWait: opts.onQueueWait,
    });
  }
  const breaker = options.breaker
    ? new CircuitBreaker({
        ...options.breaker,
        isFailure: isBackendFailure,
      })
    : null;
  return { rateLimiter, clusterRate, rate, eventLoop, concurrency, breaker };
}
