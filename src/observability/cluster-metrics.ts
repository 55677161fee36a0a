import { AggregatorRegistry, type Registry } from 'prom-client';

/**
 * One Prometheus scrape for the whole PM2 cluster. PM2 runs no user code in
 * its primary, so prom-client's cluster aggregation (which lives there) cannot
 * be used. Instead every worker also listens on its own loopback port
 * (`internalPort + index`, see lifecycle/internal-server.ts) and serves its
 * registry as JSON; the worker that receives a `/metrics` scrape fetches its
 * siblings' JSON and merges them with prom-client's own aggregator (counters
 * and histograms summed, per-process gauges by their declared aggregator).
 * A sibling that does not answer in time (restarting, hung) is left out and
 * `vecserve_cluster_workers_scraped` says how many answered.
 *
 * Summed counters dip when a worker restarts (its share starts again at 0),
 * which Prometheus reads as a reset of the whole series. With
 * METRICS_AGGREGATION=per-worker every series carries a `worker` label
 * instead: nothing is summed here, and `sum(rate(...))` is exact.
 */
export interface ClusterMetricsOptions {
  registry: Registry;
  workerIndex: number;
  workers: number;
  internalPort: number;
  host?: string;
  timeoutMs?: number;
}

export const INTERNAL_METRICS_PATH = '/internal/metrics.json';

export class ClusterMetrics {
  readonly contentType: string;

  constructor(private readonly opts: ClusterMetricsOptions) {
    this.contentType = opts.registry.contentType;
  }

  /** True when a scrape gathers several workers. */
  get clustered(): boolean {
    return this.opts.internalPort > 0 && this.opts.workers > 1;
  }

  async scrape(): Promise<string> {
    const { registry, workers, workerIndex } = this.opts;
    if (!this.clustered) return registry.metrics();
    const host = this.opts.host ?? '127.0.0.1';
    const timeoutMs = this.opts.timeoutMs ?? 1000;
    const parts = await Promise.all(
      Array.from({ length: workers }, async (_, i) => {
        if (i === workerIndex) return registry.getMetricsAsJSON();
        try {
          const res = await fetch(
            `http://${host}:${this.opts.internalPort + i}${INTERNAL_METRICS_PATH}`,
            {
              signal: AbortSignal.timeout(timeoutMs),
            },
          );
          return res.ok ? ((await res.json()) as object[]) : null;
        } catch {
          return null;
        }
      }),
    );
    const answered = parts.filter((p): p is object[] => p !== null);
    const merged = AggregatorRegistry.aggregate(answered);
    const text = await merged.metrics();
    return (
      `${text}# HELP vecserve_cluster_workers_scraped Workers whose metrics are in this scrape\n` +
      `# TYPE vecserve_cluster_workers_scraped gauge\n` +
      `vecserve_cluster_workers_scraped ${answered.length}\n` +
      `# HELP vecserve_cluster_workers_expected Workers configured (WORKERS)\n` +
      `# TYPE vecserve_cluster_workers_expected gauge\n` +
      `vecserve_cluster_workers_expected ${workers}\n`
    );
  }
}
