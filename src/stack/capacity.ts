/**
 * The whole chain's concurrency numbers in one table (nginx -> PM2 workers ->
 * admission -> backend pool), from the same settings the stack runs with;
 * given a target, what Little's law says must be in flight (in-flight = QPS x
 * latency); given a collection's shape, the embedded backend's memory per
 * quantization against the host's memory.
 */
import { resolveConcurrencyLimit } from '../config/load-config.ts';
import type { Config } from '../config/settings.ts';
import { usableCores } from '../config/usable-cores.ts';
import { upstreamKeepaliveSeconds } from './nginx-config.ts';

export interface CapacityRow {
  layer: string;
  limit: string;
  value: number | null;
  note: string;
}

export function capacityRows(c: Config, nginxWorkers = usableCores()): CapacityRow[] {
  const w = c.workers;
  const concurrency = resolveConcurrencyLimit(c, { processes: w });
  const perWorkerRate = c.rateLimit > 0 ? c.rateLimit / w : null;
  return [
    {
      layer: 'nginx',
      limit: 'worker_processes x worker_connections / 2',
      value: Math.floor((nginxWorkers * c.nginxWorkerConnections) / 2),
      note: `${nginxWorkers} x ${c.nginxWorkerConnections} / 2: proxied requests at once (client + upstream socket each)`,
    },
    {
      layer: 'nginx',
      limit: 'limit_conn per client IP',
      value: c.nginxConnLimit || null,
      note: c.nginxConnLimit ? 'excess connections: 429' : 'off',
    },
    {
      layer: 'nginx',
      limit: 'limit_req per client IP (r/s)',
      value: c.nginxRateLimit || null,
      note: c.nginxRateLimit ? `burst ${c.nginxRateBurst}, excess: 429` : 'off',
    },
    {
      layer: 'nginx',
      limit: 'limit_req whole host (r/s)',
      value: c.nginxGlobalRateLimit || null,
      note: c.nginxGlobalRateLimit
        ? `burst ${c.nginxGlobalRateBurst}, excess: 429; exact across nginx workers (shared memory)`
        : 'off: set NGINX_GLOBAL_RATE_LIMIT to ~80% of the measured SLO capacity',
    },
    {
      layer: 'nginx',
      limit: 'upstream keepalive (idle sockets per nginx worker)',
      value: 128,
      note: `closed after ${upstreamKeepaliveSeconds(c.keepaliveSeconds)} s idle, before the app's ${c.keepaliveSeconds} s`,
    },
    { layer: 'PM2', limit: 'workers', value: w, note: 'WORKERS (default: CPU count)' },
    {
      layer: 'workers',
      limit: 'workers x worker_connections',
      value: w * c.workerConnections,
      note: `${w} x ${c.workerConnections}: open connections before new ones are refused`,
    },
    {
      layer: 'admission',
      limit: 'rate limit, per worker (r/s)',
      value: perWorkerRate,
      note: perWorkerRate ? `RATE_LIMIT ${c.rateLimit} / ${w} workers` : 'off (RATE_LIMIT=0)',
    },
    {
      layer: 'admission',
      limit: 'concurrency limit x workers (in flight)',
      value: concurrency ? concurrency * w : null,
      note: concurrency
        ? `${concurrency} x ${w}${c.adaptiveConcurrency ? `, adaptive up to ${c.adaptiveMaxLimit} each` : ''}`
        : 'off',
    },
    {
      layer: 'admission',
      limit: 'queue x workers (waiting)',
      value: concurrency ? c.queueLimit * w : null,
      note: `${c.queueLimit} x ${w}, each waits at most ${c.queueTimeoutSeconds} s (${c.queueTargetSeconds * 1000} ms once a queue stands)`,
    },
    {
      layer: 'admission',
      limit: 'deadline (s)',
      value: c.timeoutSeconds,
      note: 'TIMEOUT: the backend call is aborted past it (504)',
    },
    ...(c.backend === 'milvus'
      ? [
          {
            layer: 'Milvus',
            limit: 'pool x workers (RPCs in flight)',
            value: c.milvusPoolMax * w,
            note: `${c.milvusPoolMax} x ${w}; at most ${c.milvusPoolMaxWaiting} waiting per worker`,
          },
        ]
      : []),
  ];
}

/** In flight needed for `qps` at `latencyMs` (Little's law) against the chain's narrowest limit. */
export function littlesLaw(rows: CapacityRow[], qps: number, latencyMs: number) {
  const needed = Math.ceil((qps * latencyMs) / 1000);
  const inFlightLimits = rows.filter(
    (r) =>
      r.value !== null &&
      /in flight|at once|connections/.test(r.limit) &&
      !/limit_conn/.test(r.limit),
  );
  const narrowest = inFlightLimits.reduce<CapacityRow | null>(
    (min, r) => (min === null || (r.value ?? Infinity) < (min.value ?? Infinity) ? r : min),
    null,
  );
  return { needed, narrowest };
}
