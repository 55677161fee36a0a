import { createServer, type RequestListener, type Server, type ServerOptions } from 'node:http';
import type { AddressInfo, ListenOptions as NetListenOptions } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { SearchBackend } from '../backends/search-backend.ts';
import type { Logger } from '../observability/logger.ts';
import type { Admission } from './admission/build-admission.ts';
import { earlyRefusal } from './admission/early-refusal.ts';
import type { createApp } from './app.ts';
import { answerClientErrors } from './client-errors.ts';
import type { ComposedApp } from './composed-app.ts';
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

/** How the HTTP server listens and drains, in its own units (the composition root fills it). */
export interface ListenOptions {
  host: string;
  port: number;
  backlog: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** Open connections per worker (worker_connections). */
  maxConnections: number;
  /** Under PM2, worker i also serves on workerPort + i (0: not). */
  workerPort: number;
  /** How long a shutdown waits for requests in flight. */
  gracefulTimeoutMs: number;
}

/**
 * Listens with a composed app (compose.ts) and drains it on close.
 * Gunicorn-style settings map onto Node's server: worker_connections ->
 * maxConnections, backlog -> listen backlog, keepalive -> keepAliveTimeout
 * (headersTimeout just above it, as Node requires).
 */
export async function listenApp(
  composed: ComposedApp,
  options: ListenOptions,
  logger: Logger,
  beforeListen?: (backend: SearchBackend) => Promise<void>,
): Promise<RunningServer> {
  const { identity, store, built, admission, internal, stop } = composed;
  // Refusals under overload are answered before Hono builds anything (early-refusal.ts).
  const refuseEarly = earlyRefusal({
    admission,
    metrics: built.metrics,
    stats: built.stats,
    admissionMetrics: composed.admissionMetrics,
    draining: () => built.lifecycle.draining,
    cachedSearches: composed.resultCache !== null,
  });
  // Single searches are served off Hono's dispatch when the configuration allows (direct-search.ts).
  const direct = built.direct;
  const serve = () => {
    const server = createAdaptorServer({
      fetch: built.app.fetch,
      createServer: ((opts: ServerOptions, listener: RequestListener) =>
        createServer(opts, (req, res) => {
          if (refuseEarly(req, res)) return;
          if (direct?.(req, res)) return;
          listener(req, res);
        })) as typeof createServer,
      serverOptions: {
        // Node checks these timeouts every connectionsCheckingInterval (30 s by
        // default): once a second cuts a slowloris within its headers timeout.
        connectionsCheckingInterval: 1000,
        headersTimeout: options.headersTimeoutMs,
        requestTimeout: Math.max(options.requestTimeoutMs, options.headersTimeoutMs),
        keepAliveTimeout: options.keepAliveTimeoutMs,
      },
    }) as Server;
    answerClientErrors(server);
    const connections = new ConnectionTracker(server, {
      maxConnections: options.maxConnections,
    });
    return { server, connections };
  };
  const listen = (server: Server, opts: NetListenOptions) =>
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
  await listen(server, { host: options.host, port: options.port, backlog: options.backlog });
  composed.markListening();
  // Under PM2, the worker's own port (see WORKER_PORT): bound by this process
  // (exclusive), so nothing the cluster primary holds stands between it and
  // nginx. During `pm2 reload` the worker this one replaces still holds the
  // port until it drains, so bind in the background and retry: nginx meanwhile
  // gets a refusal there and resends to another worker.
  const own = identity.underPm2 && options.workerPort > 0 ? serve() : null;
  let stopBinding = () => {};
  if (own) {
    const ownPort = options.workerPort + identity.index;
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
        backlog: options.backlog,
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
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${host}:${port}`,
    port,
    server,
    servers: listeners.map((l) => l.server),
    backend: store,
    app: built,
    admission,
    internalPort: internal?.port,
    close: () => {
      stopBinding();
      closing ??= shutdown(
        listeners,
        built.lifecycle,
        store,
        options.gracefulTimeoutMs,
        logger,
      ).finally(stop);
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
