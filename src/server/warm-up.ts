import { Agent, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { SearchBackend } from '../backends/search-backend.ts';
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
  opts: { budgetMs?: number; maxSearches?: number; maxCollections?: number } = {},
): Promise<void> {
  const budgetMs = opts.budgetMs ?? 1000;
  const maxSearches = opts.maxSearches ?? 200;
  const started = performance.now();
  const names = (await backend.listCollections()).slice(0, opts.maxCollections ?? 4);
  let searches = 0;
  for (const name of names) {
    try {
      const { dimension } = await backend.describe(name);
      const until = performance.now() + budgetMs;
      for (let i = 0; i < maxSearches && performance.now() < until; i++) {
        const vector = new Float32Array(dimension);
        for (let d = 0; d < dimension; d++) vector[d] = Math.random() * 2 - 1;
        await backend.search(name, [vector], { topK: 10, filter: [], outputFields: [] });
        searches++;
      }
    } catch (err) {
      // Warming is an optimisation: a collection that cannot be searched yet (a Milvus
      // collection not loaded, or loaded a moment ago and not yet known to every proxy)
      // must not keep the server from starting; its searches answer for themselves.
      logger.warn({ collection: name, err: (err as Error).message }, 'warm-up search failed');
    }
  }
  logger.info(
    { collections: names.length, searches, ms: Math.round(performance.now() - started) },
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
  opts: { budgetMs?: number; maxRequests?: number; concurrency?: number } = {},
): Promise<void> {
  const budgetMs = opts.budgetMs ?? 1000;
  const maxRequests = opts.maxRequests ?? 300;
  const concurrency = opts.concurrency ?? 8;
  const started = performance.now();
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
    const until = started + budgetMs;
    const loop = async () => {
      while (sent < maxRequests && performance.now() < until) {
        sent++;
        const vector = Array.from({ length: dimension }, () => Math.random() * 2 - 1);
        if ((await post(port, path, JSON.stringify({ vector, topK }), agent)) !== 200) failed++;
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
    { requests: sent, failed, ms: Math.round(performance.now() - started) },
    'warmed up the HTTP path',
  );
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
