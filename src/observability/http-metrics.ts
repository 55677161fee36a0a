import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Buckets from 0.5 ms to 10 s: vector search lives in the low milliseconds. */
export const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/**
 * The server's Prometheus metrics, on a registry of its own (not prom-client's
 * global one) so several apps in one process, as in tests, do not collide.
 */
export class HttpMetrics {
  readonly registry: Registry;
  readonly duration: Histogram<'method' | 'route' | 'status'>;
  readonly inFlight: Gauge;
  readonly searchVectors: Counter<'route'>;
  /** Requests served by this worker, labelled with its index, so a cluster-wide scrape shows the spread. */
  readonly workerRequests: Counter.Internal;

  constructor(opts: { defaultMetrics?: boolean; prefix?: string; worker?: number } = {}) {
    this.registry = new Registry();
    const prefix = opts.prefix ?? 'vecserve_';
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix });
    this.duration = new Histogram({
      name: `${prefix}http_request_duration_seconds`,
      help: 'HTTP request duration by route template and status code',
      labelNames: ['method', 'route', 'status'],
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    });
    this.inFlight = new Gauge({
      name: `${prefix}http_requests_in_flight`,
      help: 'HTTP requests being served now',
      registers: [this.registry],
    });
    this.searchVectors = new Counter({
      name: `${prefix}search_vectors_total`,
      help: 'Query vectors searched (a batch request counts each of its vectors)',
      labelNames: ['route'],
      registers: [this.registry],
    });
    this.workerRequests = new Counter({
      name: `${prefix}worker_requests_total`,
      help: 'HTTP requests served, by worker index',
      labelNames: ['worker'],
      registers: [this.registry],
    }).labels({ worker: String(opts.worker ?? 0) });
    // prom-client's own process_start_time_seconds is left out of a summed cluster
    // scrape; this one keeps a series per worker, so changes() counts restarts.
    new Gauge({
      name: `${prefix}worker_start_time_seconds`,
      help: 'When this worker process started (Unix seconds), by worker index: changes() counts restarts',
      labelNames: ['worker'],
      registers: [this.registry],
      aggregator: 'first',
    })
      .labels({ worker: String(opts.worker ?? 0) })
      .set(Math.round(Date.now() / 1000 - process.uptime()));
  }
}
