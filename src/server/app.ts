import { Hono } from 'hono';
import type { SearchBackend } from '../backends/search-backend.ts';
import type { Config } from '../config/settings.ts';
import { isServiceError } from '../core/errors.ts';
import { HttpMetrics } from '../observability/http-metrics.ts';
import type { Logger } from '../observability/logger.ts';
import { RequestStats } from '../observability/request-stats.ts';
import type { AppEnv } from './app-env.ts';
import { deadline } from './middleware/deadline.ts';
import { observe } from './middleware/observe.ts';
import { problem, problemFromError } from './problem.ts';
import { UnsupportedMediaTypeError } from './read-json.ts';
import { collectionRoutes } from './routes/collections.ts';
import { type Lifecycle, operationRoutes } from './routes/operations.ts';

export type AppConfig = Pick<
  Config,
  'maxBodyBytes' | 'maxTopK' | 'maxBatch' | 'maxWriteRows' | 'timeoutSeconds' | 'accessLog'
>;

export interface AppDeps {
  backend: SearchBackend;
  config: AppConfig;
  logger: Logger;
  metrics?: HttpMetrics;
  stats?: RequestStats;
  lifecycle?: Lifecycle;
}

/**
 * Builds the HTTP application without listening, so tests drive it through
 * `app.request()` and main.ts serves it on a socket.
 *
 * @example
 * const { app } = createApp({ backend, config, logger });
 * const res = await app.request('/healthz');
 */
export function createApp(deps: AppDeps) {
  const metrics = deps.metrics ?? new HttpMetrics();
  const stats = deps.stats ?? new RequestStats();
  const lifecycle = deps.lifecycle ?? { draining: false };
  const { config, logger } = deps;
  const app = new Hono<AppEnv>();

  app.use('*', observe({ metrics, stats, logger, accessLog: config.accessLog }));
  // While draining, ask keep-alive clients to reconnect elsewhere after this response.
  app.use('*', async (c, next) => {
    await next();
    if (lifecycle.draining) c.header('connection', 'close');
  });
  app.use('/v1/collections/*', deadline({ timeoutMs: config.timeoutSeconds * 1000 }));
  app.use('/v1/collections', deadline({ timeoutMs: config.timeoutSeconds * 1000 }));

  app.route('/', operationRoutes({ backend: deps.backend, metrics, stats, lifecycle }));
  app.route('/v1/collections', collectionRoutes(deps.backend, config, metrics));

  app.notFound((c) =>
    problem(c, {
      code: 'not_found',
      status: 404,
      detail: `no route for ${c.req.method} ${c.req.path}`,
    }),
  );
  app.onError((err, c) => {
    if (err instanceof UnsupportedMediaTypeError) {
      return problem(c, { code: 'unsupported_media_type', status: 415, detail: err.message });
    }
    if (isServiceError(err)) return problemFromError(c, err);
    logger.error({ err, path: c.req.path }, 'unhandled error');
    return problem(c, { code: 'internal', status: 500, detail: 'internal server error' });
  });

  return { app, metrics, stats, lifecycle };
}
