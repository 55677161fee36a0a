import { hostname } from 'node:os';
import { LocalVersions, ResultCache } from '../backends/cache/result-cache.ts';
import type { MilvusBackendOptions } from '../backends/milvus/open-milvus-backend.ts';
import type { BackendOptions } from '../backends/open-backend.ts';
import { openBackend } from '../backends/open-backend.ts';
import type { SearchBackend } from '../backends/search-backend.ts';
import { strategyByName } from '../balance/strategy-by-name.ts';
import { RedisRateStore } from '../cluster/redis-rate-store.ts';
import { RedisResultStore } from '../cluster/redis-result-store.ts';
import {
  resolveBreakerStall,
  resolveConcurrencyLimit,
  resolveIndexMode,
  resolveResultCache,
  resolveSearchThreads,
  resolveWorkerConnections,
} from '../config/load-config.ts';
import type { Config } from '../config/settings.ts';
import { ensureDemoCollection } from '../data/demo-collection.ts';
import { startInternalServer } from '../lifecycle/internal-server.ts';
import { type WorkerIdentity, workerIdentity } from '../lifecycle/worker-identity.ts';
import { probeWhileOpen } from '../limits/breaker-probe.ts';
import { ClusterMetrics } from '../observability/cluster-metrics.ts';
import { HttpMetrics } from '../observability/http-metrics.ts';
import type { Logger } from '../observability/logger.ts';
import { registerSearchPlaces } from '../observability/search-places.ts';
import { AdmissionMetrics } from './admission/admission-metrics.ts';
import {
  type Admission,
  type AdmissionOptions,
  createAdmission,
} from './admission/build-admission.ts';
import { type AppOptions, createApp } from './app.ts';
import { ApiKeys } from './auth/api-keys.ts';
import type { ComposedApp } from './composed-app.ts';
import { type ListenOptions, listenApp, type RunningServer } from './http-server.ts';

/*
 * The composition root: the one place where settings (src/config, seconds as
 * operators write them) become components' options (their own units,
 * milliseconds) and the components are built. No component below reads the
 * settings: a setting's path to what it changes is one hop through here.
 */

const ms = (seconds: number) => Math.round(seconds * 1000);

/** This process's share of the host: PM2's WORKERS siblings, or alone (`npm start`). */
const processShare = (config: Config, identity: WorkerIdentity) => ({
  processes: identity.underPm2 ? config.workers : 1,
});

/** The HTTP application: body and quota limits, deadline, client identity. */
export function appOptions(config: Config): AppOptions {
  return {
    maxBodyBytes: config.maxBodyBytes,
    maxTopK: config.maxTopK,
    maxBatch: config.maxBatch,
    maxWriteRows: config.maxWriteRows,
    maxCollections: config.maxCollections,
    maxDimension: config.maxDimension,
    maxIndexM: config.maxIndexM,
    maxEfConstruction: config.maxEfConstruction,
    maxSearchWork: config.maxSearchWork,
    timeoutMs: ms(config.timeoutSeconds),
    accessLog: config.accessLog,
    rateLimitKey: config.rateLimitKey,
    trustProxy: config.trustProxy,
    allowUnauthenticated: config.allowUnauthenticated,
  };
}

/**
 * Admission: rate limit, event-loop guard, concurrency limit with its queue,
 * breaker. A deployment-wide RATE_LIMIT is divided among PM2's workers: each
 * sees about 1/N of the clients (connections are spread round robin), and
 * dividing costs no shared state on the hot path. The cost: one client on one
 * keep-alive connection gets 1/N of its quota; nginx's limit_req is the exact,
 * shared limit in front. RATE_LIMIT_STORE=redis makes it one limit across every
 * worker of every host (ClusterRateLimiter), still decided without waiting.
 */
export function admissionOptions(
  config: Config,
  identity: WorkerIdentity = workerIdentity(),
): AdmissionOptions {
  const limit = resolveConcurrencyLimit(config, processShare(config, identity));
  return {
    rate:
      config.rateLimit > 0
        ? {
            perSecond: config.rateLimit,
            burst: config.rateLimitBurst > 0 ? config.rateLimitBurst : config.rateLimit,
            workers: identity.underPm2 ? config.workers : 1,
            algorithm: config.rateLimitAlgorithm,
            maxKeys: config.rateLimitMaxKeys,
            shared:
              config.rateLimitStore === 'redis'
                ? {
                    syncIntervalMs: config.rateLimitSyncSeconds * 1000,
                    worker: `${hostname()}:${process.pid}`,
                  }
                : null,
          }
        : null,
    maxEventLoopLagMs: ms(config.maxEventLoopLagSeconds),
    eventLoopBacklogMs: ms(config.eventLoopBacklogSeconds),
    concurrency:
      limit > 0 || config.adaptiveConcurrency
        ? {
            limit,
            adaptiveMaxLimit: config.adaptiveConcurrency ? config.adaptiveMaxLimit : null,
            maxQueue: config.queueLimit,
            queueTimeoutMs: ms(config.queueTimeoutSeconds),
            queueTargetMs: ms(config.queueTargetSeconds),
            queueIntervalMs: ms(config.queueIntervalSeconds),
          }
        : null,
    breaker:
      config.breaker === 'off'
        ? null
        : {
            openMs: ms(config.breakerOpenSeconds),
            maxOpenMs: ms(config.breakerMaxOpenSeconds),
            halfOpenTrials: config.breakerTrials,
            trialTimeoutMs: ms(config.breakerTrialTimeoutSeconds),
            stallMs: ms(resolveBreakerStall(config)),
            mode:
              config.breaker === 'consecutive'
                ? { kind: 'consecutive', threshold: config.breakerThreshold }
                : {
                    kind: 'rate',
                    threshold: config.breakerFailureRate,
                    minVolume: config.breakerMinVolume,
                    windowMs: ms(config.breakerWindowSeconds),
                  },
          },
  };
}

/** Milvus: address(es), the pool per endpoint, balancing, deadlines. */
export function milvusOptions(config: Config): MilvusBackendOptions {
  return {
    address: config.milvusAddress,
    pool: {
      min: config.milvusPoolMin,
      max: config.milvusPoolMax,
      acquireTimeoutMs: ms(config.milvusPoolAcquireTimeoutSeconds),
      maxWaiting: config.milvusPoolMaxWaiting,
      idleTimeoutMs: ms(config.milvusPoolIdleTimeoutSeconds),
      maxLifetimeMs: ms(config.milvusPoolMaxLifetimeSeconds),
      separateConnections: config.milvusSeparateConnections,
    },
    balance: {
      strategy: strategyByName(config.milvusBalance),
      ejectAfter: config.milvusEjectAfter,
      maxEjectedShare: config.milvusMaxEjected,
      slowStartMs: ms(config.milvusSlowStartSeconds),
      retryRatio: config.milvusRetryBudget,
      hedgeAfterMs: ms(config.milvusHedgeAfterSeconds),
      probeIntervalMs: ms(config.milvusProbeIntervalSeconds),
    },
    callTimeoutMs: ms(config.timeoutSeconds),
    startupWaitMs: ms(config.milvusStartupWaitSeconds),
    replicas: config.milvusReplicas,
    searchTransport: config.milvusSearchTransport,
    consistency:
      config.milvusConsistency === 'collection'
        ? null
        : (
            {
              strong: 'Strong',
              bounded: 'Bounded',
              session: 'Session',
              eventually: 'Eventually',
            } as const
          )[config.milvusConsistency],
  };
}

/** The store (embedded or Milvus) and micro-batching. */
export function backendOptions(
  config: Config,
  identity: WorkerIdentity = workerIdentity(),
): BackendOptions {
  const batch = config.batch === 'auto' ? config.backend === 'milvus' : config.batch === 'on';
  return {
    store:
      config.backend === 'milvus'
        ? { kind: 'milvus', ...milvusOptions(config) }
        : {
            kind: 'embedded',
            dataDir: config.dataDir,
            bruteForceLimit: config.bruteForceLimit,
            searchThreads: resolveSearchThreads(config, processShare(config, identity)),
            searchThreadNice: config.searchThreadNice,
            hugePagesDir: config.hugePagesDir,
            mode: resolveIndexMode(config, identity.underPm2),
          },
    batch: batch
      ? { maxBatch: config.batchMax, windowUs: config.batchWindowUs, slots: config.batchSlots }
      : null,
  };
}

/** The demo collection `npm start` serves (null: none). */
export function demoOptions(
  config: Config,
): { name: string; size: number; dimension: number } | null {
  return config.demoCollection
    ? { name: config.demoCollection, size: config.demoSize, dimension: config.demoDimension }
    : null;
}

/** The listening socket(s) and the drain. */
export function listenOptions(config: Config): ListenOptions {
  return {
    host: config.host,
    port: config.port,
    backlog: config.backlog,
    headersTimeoutMs: ms(config.headersTimeoutSeconds),
    requestTimeoutMs: ms(config.requestTimeoutSeconds),
    keepAliveTimeoutMs: ms(config.keepaliveSeconds),
    maxConnections: resolveWorkerConnections(config),
    workerPort: config.workerPort,
    gracefulTimeoutMs: ms(config.gracefulTimeoutSeconds),
  };
}

/**
 * Builds every component from the settings: metrics, the backend, admission
 * (and the breaker's probe), cluster metrics, the internal port, API keys
 * and the app. http-server.ts then only listens on it and drains it.
 */
export async function composeApp(
  config: Config,
  logger: Logger,
  backend?: SearchBackend,
  identity: WorkerIdentity = workerIdentity(),
): Promise<ComposedApp> {
  let listening = false;
  const metrics = new HttpMetrics({ worker: identity.index });
  if (identity.underPm2 && config.metricsAggregation === 'per-worker') {
    // Distinct series per worker: the cluster scrape then lists them side by side,
    // and a restart resets only that worker's series, which rate() handles.
    metrics.registry.setDefaultLabels({ worker: String(identity.index) });
  }
  // The demo collection is made before the index is shared with sibling workers.
  const demo = demoOptions(config);
  const opened =
    backend ??
    (await openBackend(backendOptions(config, identity), logger, metrics.registry, async (b) => {
      if (demo) await ensureDemoCollection(b, { ...demo, logger });
    }));
  // Redis: the cluster-wide rate limit's counts and the shared result cache. Nothing waits on
  // it past REDIS_TIMEOUT (see connectRedis).
  const cacheMode = resolveResultCache(config, identity.underPm2);
  // ioredis is loaded only when used (0.12 s and 17 MB a worker otherwise).
  const redis =
    (config.rateLimitStore === 'redis' && config.rateLimit > 0) || cacheMode === 'shared'
      ? (await import('../cluster/redis-connection.ts')).connectRedis(config.redisUrl, {
          commandTimeoutMs: ms(config.redisTimeoutSeconds),
          onError: (err) => logger.debug({ err: err.message }, 'redis error'),
        })
      : null;
  const sharedVersions =
    cacheMode === 'shared' && redis
      ? new RedisResultStore(redis, { ttlMs: ms(config.resultCacheTtlSeconds) })
      : null;
  const cache =
    cacheMode === 'off'
      ? null
      : new ResultCache(opened, {
          maxBytes: config.resultCacheMb * 2 ** 20,
          ttlMs: ms(config.resultCacheTtlSeconds),
          versions: sharedVersions ?? new LocalVersions(),
          registry: metrics.registry,
        });
  if (cache && sharedVersions) sharedVersions.onRecover = () => cache.clear();
  const store: SearchBackend = cache ?? opened;
  registerSearchPlaces(metrics.registry, () => {
    const places = store.searchPlaces?.();
    return places ? { ...places } : null;
  });
  let admission: Admission | null = null;
  const admissionMetrics = new AdmissionMetrics(metrics.registry, () => admission);
  admission = createAdmission(admissionOptions(config, identity), {
    onQueueWait: (waited) => admissionMetrics.queueWait.observe(waited / 1000),
    sharedRateStore:
      redis && config.rateLimitStore === 'redis' ? new RedisRateStore(redis) : undefined,
    onSharedRateChange: (shared) =>
      shared
        ? logger.warn('rate limit: Redis answers again, the cluster-wide counts decide')
        : logger.warn(
            'rate limit: Redis unreachable, each worker enforces its share of the budget',
          ),
  });
  admission.breaker?.onStateChange((s, previous) =>
    logger.warn({ breaker: s.kind, previous: previous.kind }, 'circuit breaker changed state'),
  );
  // An open breaker ends as soon as the backend answers a health check again.
  const stopProbe = admission.breaker
    ? probeWhileOpen(
        admission.breaker,
        async () => (await store.health()).ok,
        ms(config.breakerProbeSeconds),
      )
    : () => {};
  // Under PM2 each worker also listens on its own loopback port, so that any
  // worker can answer /metrics for the whole cluster.
  const lifecycle = { draining: false };
  const internal =
    (identity.underPm2 || config.faultInjection) && config.internalPort > 0
      ? await startInternalServer({
          registry: metrics.registry,
          port: config.internalPort + identity.index,
          faultInjection: config.faultInjection,
          ready: () => listening && !lifecycle.draining,
        })
      : null;
  const cluster = identity.underPm2
    ? new ClusterMetrics({
        registry: metrics.registry,
        workerIndex: identity.index,
        workers: config.workers,
        internalPort: config.internalPort,
      })
    : undefined;
  const built = createApp({
    keys: ApiKeys.load({ list: config.apiKeys, file: config.apiKeysFile }),
    lifecycle,
    backend: store,
    options: appOptions(config),
    logger,
    metrics,
    admission,
    admissionMetrics,
    cluster,
    resultCache: cache ?? undefined,
  });
  return {
    identity,
    store,
    built,
    admission,
    admissionMetrics,
    resultCache: cache,
    internal,
    markListening: () => {
      listening = true;
    },
    stop: async () => {
      admission?.eventLoop?.stop();
      admission?.clusterRate?.stop();
      sharedVersions?.stop();
      redis?.disconnect();
      stopProbe();
      await internal?.close();
    },
  };
}

/**
 * Composes the app from the settings and listens: what `npm start` runs
 * (src/cli/serve.ts) and what tests start on a real socket.
 */
export async function startServer(
  config: Config,
  logger: Logger,
  backend?: SearchBackend,
  beforeListen?: (backend: SearchBackend) => Promise<void>,
): Promise<RunningServer> {
  const composed = await composeApp(config, logger, backend);
  return listenApp(composed, listenOptions(config), logger, beforeListen);
}
