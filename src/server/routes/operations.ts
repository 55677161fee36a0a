import { Hono } from 'hono';
import type { Health, SearchBackend } from '../../backends/search-backend.ts';
import type { ClusterMetrics } from '../../observability/cluster-metrics.ts';
import type { HttpMetrics } from '../../observability/http-metrics.ts';
import type { RequestStats } from '../../observability/request-stats.ts';
import type { Admission } from '../admission/build-admission.ts';
import { describeAdmission } from '../admission/describe-admission.ts';
import { problem } from '../problem.ts';

function processFigures() {
  const cpu = process.cpuUsage();
  return {
    pid: process.pid,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    rssBytes: process.memoryUsage.rss(),
    uptimeSeconds: Math.round(process.uptime()),
  };
}

export interface Lifecycle {
  /** True once shutdown began: readiness fails so balancers stop sending. */
  draining: boolean;
}

/** Probes and observability: /healthz, /readyz, /v1/stats, /metrics. */
export function operationRoutes(deps: {
  backend: SearchBackend;
  metrics: HttpMetrics;
  stats: RequestStats;
  lifecycle: Lifecycle;
  admission?: Admission;
  /** Set under PM2: /metrics then sums every worker. */
  cluster?: ClusterMetrics;
  /** The result cache's counters (RESULT_CACHE on), for /v1/stats. */
  resultCache?: { stats: Record<string, number>; bytes: number; size: number };
  readinessTimeoutMs?: number;
}) {
  const ops = new Hono();
  const timeoutMs = deps.readinessTimeoutMs ?? 2000;

  ops.get('/healthz', (c) => c.json({ status: 'ok' }));

  /**
   * Probes that arrive while one is asking the backend share its answer: probes skip the
   * host's in-flight limit (a busy host is not down), so many at once must not become as
   * many calls to Milvus.
   */
  let asking: Promise<Health> | null = null;
  const backendHealth = (): Promise<Health> => {
    if (asking) return asking;
    const signal = AbortSignal.timeout(timeoutMs);
    // Settles by the deadline even if the backend ignores the signal: a later probe asks anew.
    asking = Promise.race([
      deps.backend
        .health({ signal })
        .catch((err: Error): Health => ({ ok: false, reason: err.message })),
      new Promise<Health>((resolve) =>
        signal.addEventListener('abort', () =>
          resolve({ ok: false, reason: `backend did not answer within ${timeoutMs} ms` }),
        ),
      ),
    ]).finally(() => {
      asking = null;
    });
    return asking;
  };

  ops.get('/readyz', async (c) => {
    if (deps.lifecycle.draining) {
      return problem(c, {
        code: 'unavailable',
        status: 503,
        detail: 'server is shutting down',
        extra: { reason: 'draining' },
      });
    }
    const health = await backendHealth();
    if (!health.ok) {
      return problem(c, {
        code: 'unavailable',
        status: 503,
        detail: `backend ${deps.backend.kind} is not ready: ${health.reason}`,
        extra: { reason: health.reason, backend: deps.backend.kind },
        headers: { 'retry-after': '1' },
      });
    }
    return c.json({ status: 'ready', backend: deps.backend.kind });
  });

  ops.get('/v1/stats', (c) =>
    c.json({
      backend: deps.backend.kind,
      ...deps.stats.snapshot(),
      admission: describeAdmission(deps.admission),
      // The backend's connection pool (Milvus): calls waiting for a client mean it is exhausted.
      pool: deps.backend.connections?.() ?? null,
      // Where searches ran (embedded with search threads): many on the loop mean threads idle.
      searches: deps.backend.searchPlaces?.() ?? null,
      // This worker's result cache since it started (hits, misses, ...; null: off).
      resultCache: deps.resultCache
        ? {
            ...deps.resultCache.stats,
            bytes: deps.resultCache.bytes,
            entries: deps.resultCache.size,
          }
        : null,
      // For load generators sampling the server each second: CPU% from two samples.
      process: processFigures(),
    }),
  );

  ops.get('/metrics', async (c) =>
    c.body(
      deps.cluster ? await deps.cluster.scrape() : await deps.metrics.registry.metrics(),
      200,
      { 'content-type': deps.metrics.registry.contentType },
    ),
  );

  return ops;
}
