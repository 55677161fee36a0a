import type { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { Balancer, type EndpointState, NoEndpointError } from '../../balance/balancer.ts';
import { RetryBudget } from '../../balance/retry-budget.ts';
import type { BalancingStrategy } from '../../balance/strategy.ts';
import { UnavailableError } from '../../core/errors.ts';
import { isBackendFailure } from '../backend-failure.ts';
import type { CallOptions, Health, PoolFigures } from '../search-backend.ts';
import type { MilvusClientSource } from './milvus-backend.ts';
import { createMilvusClient, type MilvusPool } from './milvus-pool.ts';
import { isNeverSent } from './milvus-status.ts';

/** `a:19530*2,b:19530` -> [{address: 'a:19530', weight: 2}, {address: 'b:19530', weight: 1}]. */
export function parseEndpoints(list: string): { address: string; weight: number }[] {
  return list.split(',').map((item) => {
    const [address, weight] = item.trim().split('*');
    return { address: address!, weight: weight ? Number(weight) : 1 };
  });
}

interface EndpointResource {
  pool: MilvusPool;
  probeClient: MilvusClient | null;
}

const STATE_CODE: Record<EndpointState, number> = {
  healthy: 0,
  probation: 1,
  ejected: 2,
  'probe-failed': 3,
};

export interface BalancedMilvusPoolOptions {
  endpoints: { address: string; weight: number }[];
  /** One pool per endpoint. */
  createPool: (address: string) => MilvusPool;
  strategy: BalancingStrategy;
  ejectAfter?: number;
  maxEjectedShare?: number;
  slowStartMs?: number;
  retryRatio?: number;
  /** Hedged reads (Balancer's hedgeAfterMs). @default 0 (off) */
  hedgeAfterMs?: number;
  probeIntervalMs?: number;
  probeTimeoutMs?: number;
  registry?: Registry;
  onStateChange?: (endpoint: string, state: EndpointState) => void;
}

/**
 * Several Milvus endpoints (proxies of one distributed Milvus) as one client
 * source: a pool and a breaker per endpoint behind a Balancer. Active probes
 * use a dedicated client per endpoint (checkHealth), outside the pools, so a
 * saturated pool never looks like a dead server.
 */
export class BalancedMilvusPool implements MilvusClientSource {
  readonly address: string;
  readonly balancer: Balancer<EndpointResource>;
  #unregister = () => {};
  readonly #probeTimeoutMs: number;
  /** Per-endpoint call metrics, when a registry was given. */
  readonly #calls: {
    requests: Counter<'endpoint' | 'outcome'>;
    duration: Histogram<'endpoint'>;
  } | null;

  constructor(opts: BalancedMilvusPoolOptions) {
    this.address = opts.endpoints.map((e) => e.address).join(',');
    this.#probeTimeoutMs = opts.probeTimeoutMs ?? 1000;
    const metrics = opts.registry ? this.#register(opts.registry) : null;
    this.#calls = metrics;
    this.balancer = new Balancer<EndpointResource>({
      endpoints: opts.endpoints.map((e) => ({
        id: e.address,
        weight: e.weight,
        resource: { pool: opts.createPool(e.address), probeClient: null },
      })),
      strategy: opts.strategy,
      consecutiveFailures: opts.ejectAfter ?? 5,
      maxEjectedShare: opts.maxEjectedShare ?? 0.5,
      slowStartMs: opts.slowStartMs ?? 10_000,
      ejectionMs: 1000,
      maxEjectionMs: 30_000,
      isFailure: isBackendFailure,
      neverSent: isNeverSent,
      retryBudget: new RetryBudget({ ratio: opts.retryRatio ?? 0.2, minPerSecond: 5 }),
      hedgeAfterMs: opts.hedgeAfterMs,
      probe: (r) => this.#probe(r),
      probeIntervalMs: opts.probeIntervalMs ?? 2000,
      onStateChange: (id, state) => {
        metrics?.state.set({ endpoint: id }, STATE_CODE[state]);
        opts.onStateChange?.(id, state);
      },
    });
    if (metrics) for (const e of this.balancer.endpoints) metrics.state.set({ endpoint: e.id }, 0);
  }

  /** Clients open, lent out, and calls waiting for one, summed over the endpoints. */
  connections(): PoolFigures {
    const sum = { size: 0, borrowed: 0, waiting: 0 };
    for (const e of this.balancer.endpoints) {
      const c = e.resource.pool.connections();
      sum.size += c.size;
      sum.borrowed += c.borrowed;
      sum.waiting += c.waiting;
    }
    return sum;
  }

  #record(id: string, started: number, outcome: 'ok' | 'error'): void {
    if (!this.#calls) return;
    this.#calls.requests.inc({ endpoint: id, outcome });
    this.#calls.duration.observe({ endpoint: id }, (performance.now() - started) / 1000);
  }

  #register(registry: Registry) {
    const requests = new Counter({
      name: 'vecserve_milvus_endpoint_requests_total',
      help: 'Calls to each Milvus endpoint, by outcome',
      labelNames: ['endpoint', 'outcome'],
      registers: [registry],
    });
    const duration = new Histogram({
      name: 'vecserve_milvus_endpoint_call_seconds',
      help: 'Duration of calls to each Milvus endpoint',
      labelNames: ['endpoint'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    const state = new Gauge({
      name: 'vecserve_milvus_endpoint_state',
      help: 'Endpoint health: 0 healthy, 1 probation (re-admitted, trial calls), 2 ejected, 3 failing active probes',
      labelNames: ['endpoint'],
      registers: [registry],
    });
    const retries = new Gauge({
      name: 'vecserve_milvus_retries',
      help: 'Read retries on another endpoint since start, allowed or denied by the retry budget',
      labelNames: ['outcome'],
      registers: [registry],
      collect: () => {
        retries.set({ outcome: 'allowed' }, this.balancer.retryBudget.allowed);
        retries.set({ outcome: 'denied' }, this.balancer.retryBudget.denied);
      },
    });
    const hedges = new Gauge({
      name: 'vecserve_milvus_hedges',
      help: 'Reads also sent to another endpoint after MILVUS_HEDGE_AFTER without an answer (sent), and those whose copy answered first (won), since start',
      labelNames: ['outcome'],
      registers: [registry],
      collect: () => {
        hedges.set({ outcome: 'sent' }, this.balancer.hedges.sent);
        hedges.set({ outcome: 'won' }, this.balancer.hedges.won);
      },
    });
    this.#unregister = () => {
      for (const m of [
        'vecserve_milvus_endpoint_requests_total',
        'vecserve_milvus_endpoint_call_seconds',
        'vecserve_milvus_endpoint_state',
        'vecserve_milvus_retries',
        'vecserve_milvus_hedges',
      ]) {
        registry.removeSingleMetric(m);
      }
    };
    return { requests, duration, state };
  }

  async #probe(r: EndpointResource): Promise<boolean> {
    r.probeClient ??= createMilvusClient(r.pool.address, {
      separateConnection: true,
      sdkPoolMax: 1,
      timeoutMs: this.#probeTimeoutMs,
    });
    const client = r.probeClient;
    try {
      // CheckHealth: the components behind this proxy are up (a standalone Milvus restarting
      // answers ListCollections before it can search: probing with that re-admitted it early,
      // 287 of 9,570 searches failed in test/integration/milvus-balance.test.ts). In a
      // cluster it is cluster-wide: one SIGKILLed proxy makes every proxy's CheckHealth time
      // out until its session expires, every endpoint fails its probe, and the balancer's
      // panic mode (all endpoints bad: use them all) keeps searches going through the live
      // ones (measured: test/stack/milvus-cluster.e2e.test.ts).
      return (await client.checkHealth()).isHealthy;
    } catch {
      // Dial afresh next time.
      r.probeClient = null;
      await client.closeConnection().catch(() => undefined);
      return false;
    }
  }

  async use<T>(
    fn: (client: MilvusClient) => Promise<T>,
    opts: {
      signal?: AbortSignal;
      isConnectionError?: (err: unknown) => boolean;
      write?: boolean;
      key?: string;
    } = {},
  ): Promise<T> {
    try {
      return await this.balancer.execute(
        async (r, id) => {
          const started = performance.now();
          try {
            const out = await r.pool.use(fn, {
              signal: opts.signal,
              isConnectionError: opts.isConnectionError,
            });
            this.#record(id, started, 'ok');
            return out;
          } catch (err) {
            this.#record(id, started, 'error');
            throw err;
          }
        },
        { retry: !opts.write, key: opts.key, signal: opts.signal },
      );
    } catch (err) {
      if (err instanceof NoEndpointError) {
        throw new UnavailableError(`no Milvus endpoint available (${this.address})`, {
          reason: 'no_endpoint',
        });
      }
      throw err;
    }
  }

  /** Ready while at least one endpoint is not ejected and passes its probe. */
  async health(_opts?: CallOptions): Promise<Health> {
    if (this.balancer.anyHealthy) return { ok: true };
    const states = this.balancer
      .stats()
      .map((s) => `${s.id} ${s.state}`)
      .join(', ');
    return { ok: false, reason: `no healthy Milvus endpoint: ${states}` };
  }

  async drain(): Promise<void> {
    this.balancer.close();
    this.#unregister();
    await Promise.all(
      this.balancer.endpoints.map(async (e) => {
        await e.resource.pool.drain();
        await e.resource.probeClient?.closeConnection().catch(() => undefined);
      }),
    );
  }
}
