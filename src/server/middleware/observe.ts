import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { HttpMetrics } from '../../observability/http-metrics.ts';
import type { Logger } from '../../observability/logger.ts';
import type { RequestStats } from '../../observability/request-stats.ts';
import type { AppEnv } from '../app-env.ts';
import { setResponseHeader } from '../node-bindings.ts';

export interface ObserveOptions {
  metrics: HttpMetrics;
  /** While true, every response asks its keep-alive client to reconnect (a drain). */
  draining?: () => boolean;
  stats: RequestStats;
  logger: Logger;
  accessLog: boolean;
  /** Only API requests count in /v1/stats (probes and scrapes would skew it). */
  statsPrefix?: string;
}

/** An id that is safe to echo and log (nginx's $request_id is 32 hex digits), else a new one. */
export function acceptRequestId(header: string | undefined): string {
  return header !== undefined && /^[\w.:-]{1,128}$/.test(header) ? header : randomUUID();
}

/** One request being observed: begun by `RequestObserver.begin`, closed by its `end`. */
export interface Observation {
  readonly requestId: string;
  readonly start: number;
  readonly counted: boolean;
}

/**
 * What `observe` does for every request, on plain values, so the search route
 * served off Hono's dispatch (direct-search.ts) is observed the same way: the
 * request id, the in-flight gauge and the histogram, /v1/stats, the access log.
 */
export class RequestObserver {
  readonly #opts: ObserveOptions;
  readonly #prefix: string;

  constructor(opts: ObserveOptions) {
    this.#opts = opts;
    this.#prefix = opts.statsPrefix ?? '/v1/collections';
  }

  /** While true, every response asks its keep-alive client to reconnect (a drain). */
  get draining(): boolean {
    return this.#opts.draining?.() ?? false;
  }

  begin(path: string, requestIdHeader: string | undefined): Observation {
    const o = {
      requestId: acceptRequestId(requestIdHeader),
      start: performance.now(),
      counted: path.startsWith(this.#prefix),
    };
    this.#opts.metrics.started();
    if (o.counted) this.#opts.stats.started();
    return o;
  }

  /** The request ended with `status`; `route` is its template ('unmatched' for none). */
  end(o: Observation, method: string, path: string, route: string, status: number): void {
    const ms = performance.now() - o.start;
    this.#opts.metrics.finished(method, route, status, ms / 1000);
    if (o.counted) this.#opts.stats.finished(status, ms);
    if (this.#opts.accessLog) {
      this.#opts.logger.info(
        { requestId: o.requestId, method, path, status, ms: Math.round(ms * 100) / 100 },
        'request',
      );
    }
  }
}

/**
 * The envelope of every request. Gives every request an id (X-Request-Id from the front door or a new one,
 * echoed in the response), times every request into the Prometheus histogram (labelled by route
 * template, not raw path, to keep label cardinality bounded), tracks in-flight
 * requests, feeds /v1/stats, and optionally writes an access log line (see RequestObserver).
 */
export function observe(observer: RequestObserver): MiddlewareHandler<AppEnv> {
  return async function observe(c, next) {
    const o = observer.begin(c.req.path, c.req.header('x-request-id'));
    c.set('requestId', o.requestId);
    setResponseHeader(c, 'X-Request-Id', o.requestId);
    try {
      await next();
    } finally {
      // While draining, ask keep-alive clients to reconnect elsewhere after this response.
      if (observer.draining) setResponseHeader(c, 'connection', 'close');
      // The last matched route is the handler's template; only middleware matched means no route did.
      const template = routePath(c, -1);
      const route = template === '' || template.includes('*') ? 'unmatched' : template;
      observer.end(o, c.req.method, c.req.path, route, c.res.status);
    }
  };
}
