import { type Context, Hono } from 'hono';
import type { SearchBackend } from '../../backends/search-backend.ts';
import type { Hit } from '../../core/types.ts';
import type { HttpMetrics } from '../../observability/http-metrics.ts';
import type { AppEnv } from '../app-env.ts';
import { serialisedAnswer, tookMsSince } from '../cached-answers.ts';
import { checkNewCollection, checkSearchWork, type Quotas } from '../quotas.ts';
import { readJson } from '../read-json.ts';
import {
  type BodyLimits,
  parseBatchBody,
  parseCreateCollectionBody,
  parseDeleteBody,
  parseSearchBody,
  parseWriteBody,
} from '../request-bodies.ts';
import type { RequestDeadline } from '../request-deadline.ts';

/** A search's answer; on a result-cache miss its serialised hits are kept for the next one. */
function answer(c: Context<AppEnv>, batch: boolean, hits: unknown, start: number): Response {
  const keep = c.get('keepAnswer');
  if (!keep)
    return batch
      ? c.json({ results: hits, tookMs: tookMsSince(start) })
      : c.json({ hits, tookMs: tookMsSince(start) });
  const serialised = JSON.stringify(hits);
  keep(serialised);
  return serialisedAnswer(c, batch, serialised, start);
}

/** What a search route needs beyond the request. */
export interface SearchRouteDeps {
  backend: SearchBackend;
  limits: BodyLimits & Quotas & { maxBodyBytes: number };
  metrics: HttpMetrics;
}

/**
 * One search, once admitted: the body (being read) checked against the
 * collection, its work against the quotas, then the hits. The route below and
 * the same route served off Hono's dispatch (direct-search.ts) both run it.
 */
export async function searchOne(
  { backend, limits, metrics }: SearchRouteDeps,
  name: string,
  body: Promise<unknown>,
  deadline: RequestDeadline,
): Promise<Hit[]> {
  // Searches get an AbortSignal only from a backend that listens to it (see honoursAbort).
  const signal = backend.honoursAbort === false ? undefined : deadline.signal;
  const raw = await body;
  const info = await backend.schema(name, { signal });
  const { vector, options } = parseSearchBody(raw, info, limits);
  checkSearchWork(1, info.dimension, options, limits);
  deadline.throwIfEnded();
  const [hits] = await backend.search(name, [vector], { ...options, signal });
  metrics.searched('search', 1);
  return hits ?? [];
}

/** The /v1/collections API: search, batch search, writes, describe. */
export function collectionRoutes(
  backend: SearchBackend,
  limits: BodyLimits & Quotas & { maxBodyBytes: number },
  metrics: HttpMetrics,
) {
  const api = new Hono<AppEnv>();
  // Searches get an AbortSignal only from a backend that listens to it (see honoursAbort).
  const searchSignal = (d: RequestDeadline) =>
    backend.honoursAbort === false ? undefined : d.signal;

  api.get('/', async (c) =>
    c.json({ collections: await backend.listCollections({ signal: c.get('deadline').signal }) }),
  );

  api.post('/', async (c) => {
    const spec = parseCreateCollectionBody(await readJson(c, limits.maxBodyBytes));
    const { signal } = c.get('deadline');
    checkNewCollection(spec, (await backend.listCollections({ signal })).length, limits);
    return c.json(await backend.createCollection(spec, { signal }), 201);
  });

  api.get('/:name', async (c) =>
    c.json(await backend.describe(c.req.param('name'), { signal: c.get('deadline').signal })),
  );

  api.delete('/:name', async (c) => {
    await backend.dropCollection(c.req.param('name'), { signal: c.get('deadline').signal });
    return c.body(null, 204);
  });

  api.post('/:name/search', async (c) => {
    const start = performance.now();
    const hits = await searchOne(
      { backend, limits, metrics },
      c.req.param('name'),
      readJson(c, limits.maxBodyBytes),
      c.get('deadline'),
    );
    return answer(c, false, hits, start);
  });

  api.post('/:name/search/batch', async (c) => {
    const start = performance.now();
    const name = c.req.param('name');
    const deadline = c.get('deadline');
    const signal = searchSignal(deadline);
    const body = await readJson(c, limits.maxBodyBytes);
    const info = await backend.schema(name, { signal });
    const { vectors, options } = parseBatchBody(body, info, limits);
    checkSearchWork(vectors.length, info.dimension, options, limits);
    deadline.throwIfEnded();
    const results = await backend.search(name, vectors, { ...options, signal });
    metrics.searched('batch', vectors.length);
    return answer(c, true, results, start);
  });

  api.post('/:name/vectors', async (c) => {
    const start = performance.now();
    const name = c.req.param('name');
    const { signal } = c.get('deadline');
    const body = await readJson(c, limits.maxBodyBytes);
    const info = await backend.schema(name, { signal });
    const { rows, mode } = parseWriteBody(body, info, limits);
    const result = await backend.write(name, rows, { mode, signal });
    return c.json({
      ...result,
      count: result.ids.length,
      tookMs: tookMsSince(start),
    });
  });

  api.delete('/:name/vectors', async (c) => {
    const start = performance.now();
    const name = c.req.param('name');
    const { signal } = c.get('deadline');
    const body = await readJson(c, limits.maxBodyBytes);
    await backend.schema(name, { signal }); // 404 before parsing ids
    const ids = parseDeleteBody(body, limits);
    const { deleted } = await backend.delete(name, ids, { signal });
    return c.json({ deleted, tookMs: tookMsSince(start) });
  });

  return api;
}
