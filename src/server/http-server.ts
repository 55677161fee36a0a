import type { Server } from 'node:http';
import type { AddressInfo, ListenOptions } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
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
import { answerClientErrors } from './client-errors.ts';
import { ConnectionTracker } from './connection-tracker.ts';

export interface RunningServer {
  url: string;
  port: number;
  server: Server;
  /** Every listener serving the app: the shared port, and under PM2 the worker's own. */
  servers: Server[];
  backend: SearchBackend;
  app: ReturnType<typeof createApp>;
  admission: Admission;
  /** This worker's loopback port for cluster-internal calls, when it listens on one. */
  internalPort?: number;
  /** Graceful shutdown: see `shutdown` below. Resolves once everything is closed. */
  close(): Promise<void>;
}

/**
 * Opens the backend (warm), then listens. Gunicorn-style settings map onto
 * Node's server: worker_connections -> maxConnections, backlog -> listen
 * backlog, keepalive -> keepAliveTimeout (headersTimeout just above it, as
 * Node requires), timeout -> the per-request deadline middleware.
 */
export async function startServer(
  config: Config,
  logger: Logger,
  backend?: SearchBackend,
  beforeListen?: (backend: SearchBackend) => Promise<void>,
): Promise<RunningServer> {
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
          ready: () => server.listening && !lifecycle.draining,
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
  const serve = () => {
    const server = createAdaptorServer({
      fetch: built.app.fetch,
      serverOptions: {
        // Node checks these timeouts every connectionsCheckingInterval (30 s by
        // default): once a second cuts a slowloris within its headers timeout.
        connectionsCheckingInterval: 1000,
        headersTimeout: config.headersTimeoutSeconds * 1000,
        requestTimeout: Math.max(config.requestTimeoutSeconds, config.headersTimeoutSeconds) * 1000,
        keepAliveTimeout: config.keepaliveSeconds * 1000,
      },
    }) as Server;
    answerClientErrors(server);
    const connections = new ConnectionTracker(server, {
      maxConnections: config.workerConnections,
    });
    return { server, connections };
  };
  const listen = (server: Server, opts: ListenOptions) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts, () => {
        server.off('error', reject);
        resolve();
      });
    });
  const shared = serve();
  const { server } = shared;
  await beforeListen?.(store);
  await listen(server, { host: config.host, port: config.port, backlog: config.backlog });
  // Under PM2, the worker's own port (see WORKER_PORT): bound by this process
  // (exclusive), so nothing the cluster primary holds stands between it and
  // nginx. During `pm2 reload` the worker this one replaces still holds the
  // port until it drains, so bind in the background and retry: nginx meanwhile
  // gets a refusal there and resends to another worker.
  const own = identity.underPm2 && config.workerPort > 0 ? serve() : null;
  let stopBinding = () => {};
  if (own) {
    const ownPort = config.workerPort + identity.index;
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    stopBinding = () => {
      stopped = true;
      clearTimeout(timer);
    };
    const bind = (attempt: number) => {
      if (stopped) return;
      listen(own.server, {
        host: '127.0.0.1',
        port: ownPort,
        backlog: config.backlog,
        exclusive: true,
      })
        .then(() => logger.info({ port: ownPort }, 'serving on the worker port'))
        .catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'EADDRINUSE') {
            logger.error({ err, port: ownPort }, 'cannot serve on the worker port');
            return;
          }
          if (attempt % 50 === 0)
            logger.info(
              { port: ownPort },
              'worker port still held (by the worker this one replaces?); retrying',
            );
          timer = setTimeout(() => bind(attempt + 1), 100);
        });
    };
    bind(0);
  }
  const listeners = own ? [shared, own] : [shared];
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${host}:${port}`,
    port,
    server,
    servers: listeners.map((l) => l.server),
    backend: store,
    app: built,
    admission,
    internalPort: internal ? config.internalPort + identity.index : undefined,
    close: () => {
      stopBinding();
      closing ??= shutdown(
        listeners,
        built.lifecycle,
        store,
        config.gracefulTimeoutSeconds * 1000,
        logger,
      ).finally(async () => {
        stopAdmission();
        await internal?.close();
      });
      return closing;
    },
  };
}

/**
 * Stop accepting, fail readiness, close idle keep-alive sockets, let in-flight
 * requests finish (their responses carry `Connection: close`) for up to
 * `graceMs`, then cut what is left, and close the backend (which persists).
 */
async function shutdown(
  listeners: { server: Server; connections: ConnectionTracker }[],
  lifecycle: { draining: boolean },
  backend: SearchBackend,
  graceMs: number,
  logger: Logger,
): Promise<void> {
  lifecycle.draining = true;
  logger.info({ graceMs }, 'shutting down: draining in-flight requests');
  const closed = Promise.all(
    listeners.map(({ server }) => new Promise<void>((resolve) => server.close(() => resolve()))),
  );
  const closeIdle = () => {
    for (const { connections } of listeners) connections.closeIdle();
  };
  closeIdle();
  // Sockets that finish a response keep-alive-less close themselves; sweep for
  // any that went idle without doing so (e.g. a request that was answered early).
  const sweep = setInterval(closeIdle, 100);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'expired'>((resolve) => {
    timer = setTimeout(() => resolve('expired'), graceMs);
  });
  const outcome = await Promise.race([closed.then(() => 'drained' as const), expired]);
  clearTimeout(timer);
  clearInterval(sweep);
  if (outcome === 'expired') {
    logger.warn('graceful timeout passed: closing remaining connections');
    for (const { server } of listeners) server.closeAllConnections();
    await closed;
  }
  await backend.close();
  logger.info('shutdown complete');
}
