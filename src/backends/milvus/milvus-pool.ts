import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { createPool, type Pool } from 'generic-pool';
import { Gauge, Histogram, type Registry } from 'prom-client';
import { UnavailableError } from '../../core/errors.ts';
import type { PoolFigures } from '../search-backend.ts';
import { shareSdkServiceClasses } from './sdk-service-cache.ts';

shareSdkServiceClasses();

/**
 * A pool of Milvus clients with the controls the SDK's own pool lacks: a
 * bounded wait queue that rejects at once when full, an acquire timeout, idle
 * eviction, a maximum lifetime per client, validation on borrow and drain.
 *
 * How it sits on the SDK (measured in bench/milvus-pool.ts, see
 * docs/milvus-compat.md): every MilvusClient carries its own generic-pool of
 * gRPC service clients, and each RPC borrows one of them, so a client allows
 * `sdkPoolMax` RPCs in flight. We pin that inner pool to 1 and pool whole
 * clients here, so there is one place where requests queue (this one, bounded)
 * instead of two. grpc-js shares one HTTP/2 connection between clients with
 * identical options; `separateConnections` gives each client its own
 * (`grpc.use_local_subchannel_pool`), which also lets a replaced client dial
 * afresh instead of inheriting a failing shared connection.
 *
 * Measured (bench/results/milvus-pool.json; one run, Milvus 2.3.5 standalone,
 * 20k x 512 HNSW, topK 10, all on 2 cores), QPS at concurrency 1 / 10 / 50 / 100:
 *   SDK defaults (one client, inner pool 10)   117 / 599 / 856 / 879   (p99 55 ms at c=1)
 *   one client, inner pool 16                  269 / 847 / 943 / 626   (queues inside the SDK)
 *   this pool, 16 clients, shared connection   416 / 902 / 932 / 1003
 *   this pool, 16 clients, separate conns      468 / 858 / 967 / 1046
 * Hence the defaults: clients pooled here with inner pool 1, separate connections.
 */
export interface MilvusPoolOptions {
  address: string;
  /** Clients kept open even when idle. @default 1 */
  min?: number;
  /** Clients (= RPCs in flight) at most. @default 8 */
  max?: number;
  /** How long a request may wait for a client before 503. @default 1000 */
  acquireTimeoutMs?: number;
  /** Requests allowed to wait; one more is rejected at once. @default 256 */
  maxWaiting?: number;
  /** Close clients idle this long (above `min`). @default 30000 */
  idleTimeoutMs?: number;
  /** Replace a client this old on its next borrow (the seeds' max_age). @default 600000 */
  maxLifetimeMs?: number;
  /** One HTTP/2 connection per client instead of one shared. @default false (the server config defaults it on) */
  separateConnections?: boolean;
  /** RPCs in flight per client (the SDK's inner pool). @default 1 */
  sdkPoolMax?: number;
  /** gRPC deadline of one call. @default 10000 */
  callTimeoutMs?: number;
  /** Metrics go here when given (labelled by endpoint address). */
  registry?: Registry;
  clock?: () => number;
}

interface PooledClient {
  client: MilvusClient;
  createdAt: number;
  /** Set when a call on this client failed as if its connection were bad. */
  broken: boolean;
}

/** Channel options every client gets. */
export function grpcChannelOptions(separateConnection: boolean): Record<string, number> {
  return {
    // Python and some proxies answer pings on idle connections with GOAWAY
    // "too_many_pings"; keep pings rare and only while calls are active.
    'grpc.keepalive_time_ms': 60_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.keepalive_permit_without_calls': 0,
    // After a Milvus restart, reconnect within about a second, not grpc-js's 120 s cap.
    'grpc.initial_reconnect_backoff_ms': 200,
    'grpc.max_reconnect_backoff_ms': 2_000,
    ...(separateConnection ? { 'grpc.use_local_subchannel_pool': 1 } : {}),
  };
}

/**
 * A MilvusClient that cannot crash the process. Its constructor (and every
 * reconnect) starts a connect RPC whose promise nobody awaits: with the server
 * down, that is an unhandled rejection, fatal in Node. Every later call
 * re-awaits the same failed promise, so such a client stays broken: the pool
 * replaces clients whose calls fail with connection errors.
 */
export function createMilvusClient(
  address: string,
  opts: { separateConnection: boolean; sdkPoolMax: number; timeoutMs: number },
): MilvusClient {
  const client = new MilvusClient({
    address,
    timeout: opts.timeoutMs,
    // The SDK retries any failed call 3 times, 30/60/120 ms apart, with no
    // budget: during an outage every refusal waited 210 ms, and on an
    // overloaded Milvus the retries add load. Retries belong where a budget
    // bounds them and another endpoint can take them (balance/balancer.ts).
    maxRetries: 0,
    pool: { min: 1, max: opts.sdkPoolMax },
    channelOptions: grpcChannelOptions(opts.separateConnection),
  });
  observeConnectPromises(client);
  return client;
}

const POOLS_BY_REGISTRY = new WeakMap<Registry, Set<MilvusPool>>();

/**
 * The SDK reassigns `connectPromise` on every reconnect (its failover handler
 * runs after any UNAVAILABLE error), so observing the first one is not enough:
 * every promise ever stored there gets a handler. Calls still see rejections,
 * because they await the promise itself.
 */
function observeConnectPromises(client: MilvusClient): void {
  const target = client as unknown as { connectPromise?: Promise<unknown> };
  let current = target.connectPromise;
  current?.catch(() => undefined);
  Object.defineProperty(target, 'connectPromise', {
    configurable: true,
    enumerable: true,
    get: () => current,
    set: (p: Promise<unknown> | undefined) => {
      current = p;
      p?.catch(() => undefined);
    },
  });
}

export class MilvusPool {
  readonly address: string;
  readonly options: Required<Omit<MilvusPoolOptions, 'registry'>>;
  readonly #pool: Pool<PooledClient>;
  #acquireWait?: Histogram<'endpoint'>;
  #unregister = () => {};

  constructor(options: MilvusPoolOptions) {
    const o = {
      min: 1,
      max: 8,
      acquireTimeoutMs: 1000,
      maxWaiting: 256,
      idleTimeoutMs: 30_000,
      maxLifetimeMs: 600_000,
      separateConnections: false,
      sdkPoolMax: 1,
      callTimeoutMs: 10_000,
      clock: Date.now,
      ...options,
    };
    for (const key of [
      'min',
      'max',
      'acquireTimeoutMs',
      'maxWaiting',
      'idleTimeoutMs',
      'maxLifetimeMs',
      'sdkPoolMax',
      'callTimeoutMs',
    ] as const) {
      if (!Number.isInteger(o[key]) || o[key] < 0) {
        throw new TypeError(
          `MilvusPool: ${key} must be a non-negative integer, got ${JSON.stringify(o[key])}`,
        );
      }
    }
    if (o.max < 1 || o.min > o.max) {
      throw new TypeError(
        `MilvusPool: need 1 <= max and min <= max, got min=${o.min} max=${o.max}`,
      );
    }
    const { registry, ...rest } = o;
    this.options = rest;
    this.address = o.address;
    this.#pool = createPool<PooledClient>(
      {
        create: async () => ({
          client: createMilvusClient(o.address, {
            separateConnection: o.separateConnections,
            sdkPoolMax: o.sdkPoolMax,
            timeoutMs: o.callTimeoutMs,
          }),
          createdAt: o.clock(),
          broken: false,
        }),
        destroy: async (r) => {
          await r.client.closeConnection().catch(() => undefined);
        },
        validate: async (r) => !r.broken && o.clock() - r.createdAt < o.maxLifetimeMs,
      },
      {
        min: o.min,
        max: o.max,
        acquireTimeoutMillis: o.acquireTimeoutMs,
        maxWaitingClients: o.maxWaiting,
        idleTimeoutMillis: o.idleTimeoutMs,
        softIdleTimeoutMillis: -1,
        evictionRunIntervalMillis: Math.max(1000, Math.min(o.idleTimeoutMs, 10_000)),
        testOnBorrow: true,
        autostart: true,
      },
    );
    if (registry) this.#registerMetrics(registry);
  }

  get size(): number {
    return this.#pool.size;
  }
  get borrowed(): number {
    return this.#pool.borrowed;
  }
  get pending(): number {
    return this.#pool.pending;
  }
  get available(): number {
    return this.#pool.available;
  }

  /** Clients open, lent out, and calls waiting for one. */
  connections(): PoolFigures {
    return { size: this.size, borrowed: this.borrowed, waiting: this.pending };
  }

  /**
   * Runs `fn` with a client from the pool. A full wait queue or an acquire
   * timeout is an UnavailableError (503); a call that fails as if the
   * connection were bad (`isConnectionError`) marks the client for replacement.
   */
  async use<T>(
    fn: (client: MilvusClient) => Promise<T>,
    opts: { signal?: AbortSignal; isConnectionError?: (err: unknown) => boolean } = {},
  ): Promise<T> {
    opts.signal?.throwIfAborted();
    const started = performance.now();
    let lease: PooledClient;
    try {
      lease = await this.#pool.acquire();
    } catch (err) {
      const msg = (err as Error).message ?? '';
      // What the pool held when it gave up tells a full pool from a slow loop.
      const held = `${this.borrowed} of ${this.options.max} clients lent out, ${this.pending} waiting, waited ${Math.round(performance.now() - started)} ms`;
      if (/waitingClients/i.test(msg)) {
        throw new UnavailableError(
          `Milvus connection pool queue is full (${this.options.maxWaiting} waiting; ${held})`,
          { reason: 'pool_queue_full' },
        );
      }
      if (/timed out/i.test(msg)) {
        throw new UnavailableError(
          `no Milvus connection free within ${this.options.acquireTimeoutMs} ms (${held})`,
          { reason: 'pool_timeout' },
        );
      }
      throw new UnavailableError(`Milvus connection pool: ${msg}`, { reason: 'pool_error' });
    } finally {
      this.#acquireWait?.observe({ endpoint: this.address }, (performance.now() - started) / 1000);
    }
    try {
      return await fn(lease.client);
    } catch (err) {
      if (opts.isConnectionError?.(err)) lease.broken = true;
      throw err;
    } finally {
      if (lease.broken) await this.#pool.destroy(lease).catch(() => undefined);
      else await this.#pool.release(lease).catch(() => undefined);
    }
  }

  /** Stops lending, waits for borrowed clients to come back, closes them all. */
  async drain(): Promise<void> {
    this.#unregister();
    await this.#pool.drain();
    await this.#pool.clear();
  }

  #registerMetrics(registry: Registry): void {
    let pools = POOLS_BY_REGISTRY.get(registry);
    if (!pools) {
      pools = new Set();
      POOLS_BY_REGISTRY.set(registry, pools);
      const members = pools;
      const gauge = (name: string, help: string, read: (p: MilvusPool) => number) =>
        new Gauge({
          name,
          help,
          labelNames: ['endpoint'],
          registers: [registry],
          collect() {
            for (const p of members) this.set({ endpoint: p.address }, read(p));
          },
        });
      gauge('vecserve_milvus_pool_size', 'Milvus clients open (borrowed + idle)', (p) => p.size);
      gauge(
        'vecserve_milvus_pool_borrowed',
        'Milvus clients lent out (RPCs in flight)',
        (p) => p.borrowed,
      );
      gauge(
        'vecserve_milvus_pool_pending',
        'Requests waiting for a Milvus client',
        (p) => p.pending,
      );
      gauge('vecserve_milvus_pool_available', 'Idle Milvus clients', (p) => p.available);
      new Histogram({
        name: 'vecserve_milvus_pool_acquire_wait_seconds',
        help: 'Time a request waited for a Milvus client',
        labelNames: ['endpoint'],
        buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
        registers: [registry],
      });
    }
    pools.add(this);
    this.#acquireWait = registry.getSingleMetric(
      'vecserve_milvus_pool_acquire_wait_seconds',
    ) as Histogram<'endpoint'>;
    this.#unregister = () => pools.delete(this);
  }
}
