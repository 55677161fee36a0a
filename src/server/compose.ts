import { openBackend } from '../backends/open-backend.ts';
import type { SearchBackend } from '../backends/search-backend.ts';
import type { Config } from '../config/settings.ts';
import { startInternalServer } from '../lifecycle/internal-server.ts';
import { workerIdentity } from '../lifecycle/worker-identity.ts';
import { probeWhileOpen } from '../limits/breaker-probe.ts';
import { ClusterMetrics } from '../observability/cluster-metrics.ts';
import { HttpMetrics } from '../observability/http-metrics.ts';
import type { Logger } from '../observability/logger.ts';
import { AdmissionMetrics } from './admission/admission-metrics.ts';
import { type Admission, createAdmission } from './admission/build-admission.ts';
import { createApp } from './app.ts';
import { ApiKeys } from './auth/api-keys.ts';

export interface ComposedApp {
  identity: ReturnType<typeof workerIdentity>;
  store: SearchBackend;
  built: ReturnType<typeof createApp>;
  admission: Admission;
  /** This worker's loopback server for cluster-internal calls, when it has one. */
  internal: Awaited<ReturnType<typeof startInternalServer>> | null;
  /** Stops what the composition started besides the backend (probes, timers, internal server). */
  stop(): Promise<void>;
}

/**
 * The one place where settings become components: metrics, the backend,
 * admission (and the breaker's probe), cluster metrics, the internal port,
 * API keys and the app. The HTTP server (http-server.ts) only listens on
 * what this returns and drains it.
 */
export async function composeApp(
  config: Config,
  logger: Logger,
  backend: SearchBackend | undefined,
  isListening: () => boolean,
): Promise<ComposedApp> {
  const identity = workerIdentity();
  const metrics = new HttpMetrics({ worker: identity.index });
  if (identity.underPm2 && config.metricsAggregation === 'per-worker') {
    // Distinct series per worker: the cluster scrape then lists them side by side,
    // and a restart resets only that worker's series, which rate() handles.
    metrics.registry.setDefaultLabels({ worker: String(identity.index) });
  }
  const store = backend ?? (await openBackend(config, logger, metrics.registry));
  let admission: Admission | null = null;
  const admissionMetrics = new AdmissionMetrics(metrics.registry, () => admission);
  admission = createAdmission(config, {
    onQueueWait: (ms) => admissionMetrics.queueWait.observe(ms / 1000),
  });
  admission.breaker?.onStateChange((s, previous) =>
    logger.warn({ breaker: s.kind, previous: previous.kind }, 'circuit breaker changed state'),
  );
  // An open breaker ends as soon as the backend answers a health check again.
  const stopProbe = admission.breaker
    ? probeWhileOpen(
        admission.breaker,
        async () => (await store.health()).ok,
        Math.round(config.breakerProbeSeconds * 1000),
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
          ready: () => isListening() && !lifecycle.draining,
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
    config,
    logger,
    metrics,
    admission,
    admissionMetrics,
    cluster,
  });
  const stopAdmission = () => {
    admission?.eventLoop?.stop();
    stopProbe();
  };
  return {
    identity,
    store,
    built,
    admission,
    internal,
    stop: async () => {
      stopAdmission();
      await internal?.close();
    },
  };
}
