import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { KeyedHistogram } from './keyed-histogram.ts';

/** Buckets from 0.5 ms to 10 s: vector search lives in the low milliseconds. */
export const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/**
 * The server's Prometheus metrics, on a registry of its own (not prom-client's
 * global one) so several apps in one process, as in tests, do not collide.
 *
 * A request is recorded in plain fields and one keyed histogram; the counters
 * and the in-flight gauge take those fields when Prometheus scrapes
 * (prom-client's `collect`), so serving a request costs no label hashing.
 */
export class HttpMetrics {
  readonly registry: Registry;
  readonly duration: KeyedHistogram;
  #inFlight = 0;
  /** Requests this worker started, not yet added to the counter. */
  #requests = 0;
  readonly #searchVectors = { search: 0, batch: 0 };

  constructor(opts: { defaultMetrics?: boolean; prefix?: string; worker?: number } = {}) {
    this.registry = new Registry();
    const prefix = opts.prefix ?? 'vecserve_';
    const self = this;
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix });
    this.duration = new KeyedHistogram({
      name: `${prefix}http_request_duration_seconds`,
      help: 'HTTP request duration by route template and status code',
      labelNames: ['method', 'route', 'status'],
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    });
    new Gauge({
      name: `${prefix}http_requests_in_flight`,
      help: 'HTTP requests being served now',
      registers: [this.registry],
      collect() {
        this.set(self.#inFlight);
      },
    });
    new Counter({
      name: `${prefix}search_vectors_total`,
      help: 'Query vectors searched (a batch request counts each of its vectors)',
      labelNames: ['route'],
      registers: [this.registry],
      collect() {
        for (const route of ['search', 'batch'] as const) {
          this.inc({ route }, self.#searchVectors[route]);
          self.#searchVectors[route] = 0;
        }
      },
    });
    const worker = String(opts.worker ?? 0);
    new Counter({
      name: `${prefix}worker_requests_total`,
      help: 'HTTP requests served, by worker index',
      labelNames: ['worker'],
      registers: [this.registry],
      collect() {
        this.inc({ worker }, self.#requests);
        self.#requests = 0;
      },
    });
    // prom-client's own process_start_time_seconds is left out of a summed cluster
    // scrape; this one keeps a series per worker, so changes() counts restarts.
    new Gauge({
      name: `${prefix}worker_start_time_seconds`,
      help: 'When this worker process started (Unix seconds), by worker index: changes() counts restarts',
      labelNames: ['worker'],
      registers: [this.registry],
      aggregator: 'first',
    })
      .labels({ worker })
      .set(Math.round(Date.now() / 1000 - process.uptime()));
  }

  /** A request began. */
  started(): void {
    this.#inFlight++;
    this.#requests++;
  }

  /** A request ended with `status` after `seconds`; `route` is its template. */
  finished(method: string, route: string, status: number, seconds: number): void {
    this.#inFlight--;
    this.duration.observe(
      `${method} ${route} ${status}`,
      () => ({
        method,
        route,
        status: String(status),
      }),
      seconds,
    );
  }

  /** Query vectors searched by a search (`search`) or batch search (`batch`) request. */
  searched(route: 'search' | 'batch', vectors: number): void {
    this.#searchVectors[route] += vectors;
  }
}
