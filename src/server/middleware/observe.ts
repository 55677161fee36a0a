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

/**
 * The envelope of every request. Gives every request an id (X-Request-Id from the front door or a new one,
 * echoed in the response), times every request into the Prometheus histogram (labelled by route
 * template, not raw path, to keep label cardinality bounded), tracks in-flight
 * requests, feeds /v1/stats, and optionally writes an access log line.
 */
export function observe(opts: ObserveOptions): MiddlewareHandler<AppEnv> {
  const prefix = opts.statsPrefix ?? '/v1/collections';
  return async function observe(c, next) {
    const start = performance.now();
    const requestId = acceptRequestId(c.req.header('x-request-id'));
    c.set('requestId', requestId);
    setResponseHeader(c, 'X-Request-Id', requestId);
    const counted = c.req.path.startsWith(prefix);
    opts.metrics.started();
    if (counted) opts.stats.started();
    try {
      await next();
    } finally {
      // While draining, ask keep-alive clients to reconnect elsewhere after this response.
      if (opts.draining?.()) setResponseHeader(c, 'connection', 'close');
      const ms = performance.now() - start;
      const status = c.res.status;
      // The last matched route is the handler's template; only middleware matched means no route did.
      const template = routePath(c, -1);
      const route = template === '' || template.includes('*') ? 'unmatched' : template;
      opts.metrics.finished(c.req.method, route, status, ms / 1000);
      if (counted) opts.stats.finished(status, ms);
      if (opts.accessLog) {
        opts.logger.info(
          {
            requestId,
            method: c.req.method,
            path: c.req.path,
            status,
            ms: Math.round(ms * 100) / 100,
          },
          'request',
        );
      }
    }
  };
}
