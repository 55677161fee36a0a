import { Agent, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { SearchBackend } from '../backends/search-backend.ts';
import { type CpuClock, processCpuMs } from '../limits/clock.ts';
import { HttpMetrics } from '../observability/http-metrics.ts';
import type { Logger } from '../observability/logger.ts';
import { type AppOptions, createApp } from './app.ts';

/**
 * Runs a short burst of searches on each collection before the worker says
 * 'ready', so the first real requests do not pay for cold code paths (JIT),
 * index pages not yet mapped in, or Milvus connections not yet opened. A new
 * worker under `pm2 reload` otherwise stalls its event loop on its first
 * requests and sheds them. Bounded by `budgetMs` per collection.
 */
export async function warmUp(
  backend: SearchBackend,
  logger: Logger,
  opts: {
    budgetMs?: number;
    maxSearches?: number;
    maxCollections?: number;
  } & WarmUpPacing = {},
): Promise<void> {
  const budgetMs = opts.budgetMs ?? 1000;
  const maxSearches = opts.maxSearches ?? 200;
  const started = performance.now();
  const pacer = pacerFor(opts);
  const names = (await backend.listCollections()).slice(0, opts.maxCollections ?? 4);
  let searches = 0;
  for (const name of names) {
    try {
      const { dimension } = await backend.describe(name);
      const until = pacer.workedMs + budgetMs;
      for (let i = 0; i < maxSearches && pacer.workedMs < until; i++) {
        const vector = new Float32Array(dimension);
        for (let d = 0; d < dimension; d++) vector[d] = Math.random() * 2 - 1;
        await backend.search(name, [vector], { topK: 10, filter: [], outputFields: [] });
        searches++;
        await pacer.pace();
      }
    } catch (err) {
      // Warming is an optimisation: a collection that cannot be searched yet (a Milvus
      // collection not loaded, or loaded a moment ago and not yet known to every proxy)
      // must not keep the server from starting; its searches answer for themselves.
      logger.warn({ collection: name, err: (err as Error).message }, 'warm-up search failed');
    }
  }
  logger.info(
    {
      collections: names.length,
      searches,
      ms: Math.round(performance.now() - started),
      restedMs: Math.round(pacer.restedMs),
    },
    'warmed up',
  );
}

/**
 * Runs real HTTP searches through a throwaway copy of the app on a loopback
 * port of this process's own (exclusive, so a PM2 primary never routes them
 * to a sibling), before the worker listens. Warming the backend alone leaves
 * the HTTP path cold: the first search took 10-12 ms instead of 3 on one core.
 * The copy has its own metrics and no admission, quotas, keys or result cache,
 * so nothing a client or an operator sees counts these requests. Bounded by
 * `budgetMs`; a failure here never keeps the server from starting.
 */
export async function warmHttpPath(
  backend: SearchBackend,
  options: AppOptions,
  logger: Logger,
  opts: {
    budgetMs?: number;
    maxRequests?: number;
    concurrency?: number;
  } & WarmUpPacing = {},
): Promise<void> {
  const budgetMs = opts.budgetMs ?? 1000;
  const maxRequests = opts.maxRequests ?? 300;
  const concurrency = opts.concurrency ?? 8;
  const started = performance.now();
  const pacer = pacerFor(opts);
  let server: Server | null = null;
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let sent = 0;
  let failed = 0;
  try {
    const [name] = await backend.listCollections();
    if (name === undefined) return;
    const { dimension } = await backend.describe(name);
    const { app } = createApp({
      backend,
      options: { ...options, accessLog: false },
      logger: logger.child({}, { level: 'silent' }),
      metrics: new HttpMetrics({ defaultMetrics: false }),
    });
    const listening = createAdaptorServer({ fetch: app.fetch }) as Server;
    server = listening;
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject);
      listening.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => resolve());
    });
    const { port } = listening.address() as AddressInfo;
    const path = `/v1/collections/${encodeURIComponent(name)}/search`;
    const topK = Math.min(10, options.maxTopK);
    const until = pacer.workedMs + budgetMs;
    const loop = async () => {
      while (sent < maxRequests && pacer.workedMs < until) {
        sent++;
        const vector = Array.from({ length: dimension }, () => Math.random() * 2 - 1);
        if ((await post(port, path, JSON.stringify({ vector, topK }), agent)) !== 200) failed++;
        await pacer.pace();
      }
    };
    await Promise.all(Array.from({ length: concurrency }, loop));
  } catch (err) {
    logger.warn({ err: (err as Error).message }, 'HTTP warm-up failed');
  } finally {
    agent.destroy();
    if (server?.listening) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server?.close(() => resolve()));
    }
  }
  logger.info(
    {
      requests: sent,
      failed,
      ms: Math.round(performance.now() - started),
      restedMs: Math.round(pacer.restedMs),
    },
    'warmed up the HTTP path',
  );
}

/** How hard a warm-up may run (see WarmUpPacer). */
export interface WarmUpPacing {
  /** Cores of CPU the warm-up may use on average. @default Infinity */
  cores?: number;
  /** @default the process's CPU clock */
  cpuClock?: CpuClock;
}

const pacerFor = (pacing: WarmUpPacing) =>
  new WarmUpPacer(pacing.cores ?? Number.POSITIVE_INFINITY, pacing.cpuClock);

/**
 * Holds a warm-up to `cores` of CPU on average, counting every thread of the
 * process (V8 compiles hot code and collects garbage on threads beside the
 * loop): it rests whenever it got ahead. A worker that boots beside siblings
 * serving traffic (a PM2 restart after a crash, a reload) otherwise takes
 * their CPU when they need it most: on 2 cores a worker's boot used 2.3-2.5 s
 * of CPU in 1.6-1.8 s of wall time, the HTTP warm-up alone 1.6 cores for
 * 0.65 s, while the survivor of a SIGKILL carried the dead worker's share.
 * Budgets count the time worked (not rested), so a paced warm-up does the
 * same work. The loops of one warm-up share a pacer: while one rests, all do
 * (requests already in flight finish, and are counted at the next call).
 */
export class WarmUpPacer {
  readonly cores: number;
  /** Wall time rested so far (ms). */
  restedMs = 0;
  readonly #started: number;
  readonly #cpu: CpuClock;
  /** The current window: since the last rest ended. */
  #wallAt: number;
  #cpuAt: number;
  #rest: Promise<void> | null = null;

  /** Rests only when at least this much is owed (ms): fewer, longer rests. */
  static readonly SLICE_MS = 10;

  /** `cores`: Infinity never rests. */
  constructor(cores: number, cpu: CpuClock = processCpuMs) {
    if (!(cores > 0)) throw new RangeError(`WarmUpPacer: cores must be positive, got ${cores}`);
    this.cores = cores;
    this.#cpu = cpu;
    this.#started = performance.now();
    this.#wallAt = this.#started;
    this.#cpuAt = cpu();
  }

  /** Wall time since the start, less the rests (ms). */
  get workedMs(): number {
    return performance.now() - this.#started - this.restedMs;
  }

  /** Call between units of work: rests while the window used more than `cores` on average. */
  pace(): Promise<void> | undefined {
    if (this.#rest) return this.#rest;
    if (this.cores === Number.POSITIVE_INFINITY) return;
    const now = performance.now();
    const owed = (this.#cpu() - this.#cpuAt) / this.cores - (now - this.#wallAt);
    if (owed < WarmUpPacer.SLICE_MS) return;
    this.#rest = new Promise<void>((resolve) =>
      setTimeout(() => {
        const after = performance.now();
        this.restedMs += after - now;
        this.#wallAt = after;
        this.#cpuAt = this.#cpu();
        this.#rest = null;
        resolve();
      }, owed),
    );
    return this.#rest;
  }
}

/** One POST on the warm-up's own port: its status, or 0 when the socket failed. */
function post(port: number, path: string, body: string, agent: Agent): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}
