import { createRequire } from 'node:module';
import { Hono } from 'hono';
import type { ResultCache } from '../backends/cache/result-cache.ts';
import type { SearchBackend } from '../backends/search-backend.ts';
import type { ClusterMetrics } from '../observability/cluster-metrics.ts';
import { HttpMetrics } from '../observability/http-metrics.ts';
import type { Logger } from '../observability/logger.ts';
import { RequestStats } from '../observability/request-stats.ts';
import { admissionChain } from './admission/admission-chain.ts';
import { AdmissionMetrics } from './admission/admission-metrics.ts';
import type { Admission } from './admission/build-admission.ts';
import type { AppEnv } from './app-env.ts';
import { ApiKeys } from './auth/api-keys.ts';
import { authorize } from './auth/authorize.ts';
import { cachedAnswers } from './cached-answers.ts';
import { directSearch } from './direct-search.ts';
import { answerToError } from './error-answer.ts';
import { observe, RequestObserver } from './middleware/observe.ts';
import { nodeBindings } from './node-bindings.ts';
import { problem } from './problem.ts';
import type { Quotas } from './quotas.ts';
import type { BodyLimits } from './request-bodies.ts';
import { collectionRoutes } from './routes/collections.ts';
import { docsRoutes } from './routes/docs.ts';
import { type Lifecycle, operationRoutes } from './routes/operations.ts';
import { allowedMethods } from './routes/route-table.ts';

/** The API's version in /openapi.json: the package's. */
const API_VERSION: string = (
  createRequire(import.meta.url)('../../package.json') as { version: string }
).version;

/** A "." or ".." path segment, plain or percent-encoded. */
const DOT_SEGMENT = /(^|\/)(\.|%2e){1,2}(\/|$)/i;

/** What the HTTP application needs to know, in its own units (the composition root fills it). */
export interface AppOptions extends BodyLimits, Quotas {
  maxBodyBytes: number;
  /** Every API request's deadline. */
  timeoutMs: number;
  accessLog: boolean;
  /** What a rate limit counts per: client address, API key, or the whole server. */
  rateLimitKey: 'ip' | 'api-key' | 'global';
  /** Take the client address from X-Real-IP when the peer is loopback (behind nginx). */
  trustProxy: boolean;
  /** Without API keys, let any client write and administer (not only local ones). */
  allowUnauthenticated: boolean;
}

export interface AppDeps {
  backend: SearchBackend;
  options: AppOptions;
  logger: Logger;
  metrics?: HttpMetrics;
  stats?: RequestStats;
  lifecycle?: Lifecycle;
  /** Admission control for the API routes (none: every request is admitted). */
  admission?: Admission;
  admissionMetrics?: AdmissionMetrics;
  /** Cluster-wide /metrics under PM2. */
  cluster?: ClusterMetrics;
  /** API keys (none: search open, write/admin for local clients only). */
  keys?: ApiKeys;
  /** Answers repeated searches before admission takes a slot (the same object as `backend`, or behind it). */
  resultCache?: ResultCache;
}

/**
 * Builds the HTTP application without listening, so tests drive it through
 * `app.request()` and http-server.ts serves it on a socket.
 *
 * @example
 * const { app } = createApp({ backend, options: appOptions(loadConfig()), logger });
 * const res = await app.request('/healthz');
 */
export function createApp(deps: AppDeps) {
  const metrics = deps.metrics ?? new HttpMetrics();
  const stats = deps.stats ?? new RequestStats();
  const lifecycle = deps.lifecycle ?? { draining: false };
  const { options, logger } = deps;
  const app = new Hono<AppEnv>();

  // One observer for both paths a request can take (Hono's, and the direct search path's).
  const observer = new RequestObserver({
    metrics,
    stats,
    logger,
    accessLog: options.accessLog,
    draining: () => lifecycle.draining,
  });
  app.use('*', observe(observer));
  // The URL parser resolves dot segments, so /v1/collections/zzz/../products
  // would reach (and DELETE would drop) "products": refuse them as sent.
  // Not async: a middleware that only checks adds no promise of its own.
  app.use('*', (c, next) => {
    const target = nodeBindings(c)?.incoming.url ?? '';
    const query = target.indexOf('?');
    if (DOT_SEGMENT.test(query < 0 ? target : target.slice(0, query)))
      return Promise.resolve(
        problem(c, {
          code: 'invalid_request',
          status: 400,
          detail: 'the path has "." or ".." segments; send it resolved',
        }),
      );
    return next();
  });
  // Who is asking comes first: from the headers alone, before admission reads anything.
  const access = {
    keys: deps.keys ?? new ApiKeys([]),
    trustProxy: options.trustProxy,
    allowUnauthenticated: options.allowUnauthenticated,
  };
  app.use('*', authorize(access));
  // Admission and the deadline (see admission-chain.ts), then the route.
  const admission = deps.admission;
  const admissionMetrics =
    deps.admissionMetrics ?? new AdmissionMetrics(metrics.registry, () => admission ?? null);
  const { middleware, backend } = admissionChain(admission, deps.backend, {
    ...options,
    early: deps.resultCache ? cachedAnswers(deps.resultCache, options.maxBodyBytes) : null,
  });
  for (const path of ['/v1/collections', '/v1/collections/*']) app.use(path, middleware);

  app.route(
    '/',
    operationRoutes({
      backend,
      metrics,
      stats,
      lifecycle,
      admission,
      cluster: deps.cluster,
      resultCache: deps.resultCache,
    }),
  );
  app.route('/v1/collections', collectionRoutes(backend, options, metrics));
  app.route('/', docsRoutes(API_VERSION));

  app.notFound((c) => {
    const allowed = allowedMethods(c.req.path);
    if (allowed && !allowed.includes(c.req.method)) {
      c.header('Allow', allowed.join(', '));
      return problem(c, {
        code: 'method_not_allowed',
        status: 405,
        detail: `${c.req.path} answers ${allowed.join(', ')}, not ${c.req.method}`,
      });
    }
    return problem(c, {
      code: 'not_found',
      status: 404,
      detail: `no route for ${c.req.method} ${c.req.path}`,
    });
  });
  app.onError((err, c) =>
    problem(
      c,
      answerToError(
        err,
        { requestId: c.get('requestId'), path: c.req.path, method: c.req.method },
        admissionMetrics,
        logger,
      ),
    ),
  );

  // The single-search route's own path on Node's request (see direct-search.ts): the same parts, off Hono.
  const direct = directSearch({
    route: { backend, limits: options, metrics },
    admission: admission ?? null,
    admissionMetrics,
    observer,
    access,
    timeoutMs: options.timeoutMs,
    logger,
    resultCache: deps.resultCache !== undefined,
  });

  return { app, metrics, stats, lifecycle, direct };
}
