import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { startInternalServer } from '../../src/lifecycle/internal-server.ts';
import { ClusterMetrics } from '../../src/observability/cluster-metrics.ts';

function workerRegistry(requests: number, seconds: number[]) {
  const registry = new Registry();
  new Counter({ name: 'req_total', help: 'h', registers: [registry] }).inc(requests);
  const h = new Histogram({
    name: 'lat_seconds',
    help: 'h',
    buckets: [0.1, 1],
    registers: [registry],
  });
  for (const s of seconds) h.observe(s);
  return registry;
}

describe('ClusterMetrics', () => {
  it('sums counters and histograms of every worker through their internal ports', async () => {
    // Below the ephemeral port range (32768+), where outgoing connections would collide.
    const base = 23_000 + Math.floor(Math.random() * 1900);
    const registries = [
      workerRegistry(3, [0.05]),
      workerRegistry(4, [0.5, 2]),
      workerRegistry(5, []),
    ];
    // Workers 1 and 2 serve their registries; worker 0 is the one scraped.
    const servers = await Promise.all(
      [1, 2].map((i) =>
        startInternalServer({ registry: registries[i], port: base + i, faultInjection: false }),
      ),
    );
    try {
      const cluster = new ClusterMetrics({
        registry: registries[0],
        workerIndex: 0,
        workers: 3,
        internalPort: base,
      });
      const text = await cluster.scrape();
      expect(text).toMatch(/^req_total 12$/m);
      expect(text).toMatch(/^lat_seconds_count 3$/m);
      expect(text).toMatch(/^lat_seconds_bucket\{le="0.1"\} 1$/m);
      expect(text).toMatch(/^lat_seconds_bucket\{le="1"\} 2$/m);
      expect(text).toMatch(/^vecserve_cluster_workers_scraped 3$/m);
      // A worker that does not answer is left out, and the scrape says so.
      await servers[1].close();
      const partial = await cluster.scrape();
      expect(partial).toMatch(/^req_total 7$/m);
      expect(partial).toMatch(/^vecserve_cluster_workers_scraped 2$/m);
    } finally {
      await Promise.all(servers.map((s) => s.close()));
    }
  });

  it('keeps per-worker series apart when each worker labels its registry (METRICS_AGGREGATION=per-worker)', async () => {
    const base = 23_000 + Math.floor(Math.random() * 1900);
    const registries = [workerRegistry(3, [0.05]), workerRegistry(4, [0.5])];
    for (const [i, r] of registries.entries()) r.setDefaultLabels({ worker: String(i) });
    const server = await startInternalServer({
      registry: registries[1]!,
      port: base + 1,
      faultInjection: false,
    });
    try {
      const text = await new ClusterMetrics({
        registry: registries[0]!,
        workerIndex: 0,
        workers: 2,
        internalPort: base,
      }).scrape();
      expect(text).toMatch(/^req_total\{worker="0"\} 3$/m);
      expect(text).toMatch(/^req_total\{worker="1"\} 4$/m);
      expect(text).toMatch(/^lat_seconds_count\{worker="1"\} 1$/m);
    } finally {
      await server.close();
    }
  });
});
