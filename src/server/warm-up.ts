import type { SearchBackend } from '../backends/search-backend.ts';
import type { Logger } from '../observability/logger.ts';

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
