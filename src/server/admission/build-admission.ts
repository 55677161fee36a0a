import { resolveConcurrencyLimit } from '../../config/load-config.ts';
import type { Config } from '../../config/settings.ts';
import { VegasLimit } from '../../limits/adaptive-limit.ts';
import { CircuitBreaker } from '../../limits/circuit-breaker.ts';
import { ConcurrencyLimiter } from '../../limits/concurrency-limiter.ts';
import { EventLoopGuard } from '../../limits/event-loop-guard.ts';
import { LeakyBucket } from '../../limits/leaky-bucket.ts';
import type { RateLimiter } from '../../limits/rate-limiter.ts';
import { SlidingWindowCounter, SlidingWindowLog } from '../../limits/sliding-window.ts';
import { TokenBucket } from '../../limits/token-bucket.ts';

/** The admission controls one worker enforces, built from the configuration. */
export interface Admission {
  rateLimiter: RateLimiter | null;
  /** The configured deployment-wide rate and this worker's share of it. */
  rate: { configured: number; perWorker: number; workers: number } | null;
  eventLoop: EventLoopGuard | null;
  concurrency: ConcurrencyLimiter | null;
  breaker: CircuitBreaker | null;
}

/**
 * How many processes share a configured rate. In-process limiters are per
 * worker (PM2 cluster mode runs WORKERS copies), so a deployment-wide rate is
 * divided by the worker count when running under PM2 with several workers.
 * We divide rather than share state: PM2 spreads connections round robin, so
 * each worker sees about 1/N of the clients, and dividing costs no IPC or
 * shared store on the hot path. The cost: a single client on one keep-alive
 * connection gets only 1/N of its quota. nginx's limit_req (deploy issue) is
 * the exact, shared limit in front.
 */
export function workersSharingRate(config: Config, env: NodeJS.ProcessEnv = process.env): number {
  return env.NODE_APP_INSTANCE !== undefined ? config.workers : 1;
}

export function createAdmission(
  config: Config,
  opts: { onQueueWait?: (ms: number) => void; env?: NodeJS.ProcessEnv } = {},
): Admission {
  let rateLimiter: RateLimiter | null = null;
  let rate: Admission['rate'] = null;
  if (config.rateLimit > 0) {
    const workers = workersSharingRate(config, opts.env);
    const perWorker = config.rateLimit / workers;
    const burst = (config.rateLimitBurst > 0 ? config.rateLimitBurst : config.rateLimit) / workers;
    const maxKeys = config.rateLimitMaxKeys;
    rate = { configured: config.rateLimit, perWorker, workers };
    switch (config.rateLimitAlgorithm) {
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
  const eventLoop =
    config.maxEventLoopLagSeconds > 0
      ? new EventLoopGuard({ maxLagMs: config.maxEventLoopLagSeconds * 1000 }).start()
      : null;
  let concurrency: ConcurrencyLimiter | null = null;
  const concurrencyLimit = resolveConcurrencyLimit(config);
  if (concurrencyLimit > 0 || config.adaptiveConcurrency) {
    const limit = config.adaptiveConcurrency
      ? new VegasLimit({
          initialLimit: Math.min(concurrencyLimit || 20, config.adaptiveMaxLimit),
          maxLimit: config.adaptiveMaxLimit,
        })
      : concurrencyLimit;
    concurrency = new ConcurrencyLimiter({
      limit,
      maxQueue: config.queueLimit,
      queueTimeoutMs: Math.round(config.queueTimeoutSeconds * 1000),
      queueTargetMs: Math.round(config.queueTargetSeconds * 1000),
      queueIntervalMs: Math.round(config.queueIntervalSeconds * 1000),
      onQueueWait: opts.onQueueWait,
    });
  }
  let breaker: CircuitBreaker | null = null;
  if (config.breaker !== 'off') {
    const common = {
      openMs: Math.round(config.breakerOpenSeconds * 1000),
      maxOpenMs: Math.round(config.breakerMaxOpenSeconds * 1000),
      halfOpenTrials: config.breakerTrials,
    };
    breaker =
      config.breaker === 'consecutive'
        ? new CircuitBreaker({
            ...common,
            mode: {
              kind: 'consecutive',
              threshold: config.breakerThreshold,
            },
          })
        : new CircuitBreaker({
            ...common,
            mode: {
              kind: 'rate',
              threshold: config.breakerFailureRate,
              minVolume: config.breakerMinVolume,
              windowMs: config.breakerWindowSeconds * 1000,
            },
          });
  }
  return { rateLimiter, rate, eventLoop, concurrency, breaker };
}
