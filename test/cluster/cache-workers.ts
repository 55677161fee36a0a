/**
 * Workers for result-cache tests: the HTTP application over a ResultCache over
 * one real store (as PM2 workers in front of one Milvus are), and the check
 * that no answer from before an acknowledged write is served after it.
 */
import type { ResultCache } from '../../src/backends/cache/result-cache.ts';
import { createApp } from '../../src/server/app.ts';
import { appOptions } from '../../src/server/compose.ts';
import { postJson, silentLogger, testConfig } from '../helpers.ts';

/** A search request's body, as a client would send it. */
export interface Query {
  vector: number[];
  topK?: number;
  params?: { ef?: number };
  filter?: unknown;
  outputFields?: string[];
}

export const query = (v: Float32Array, o: Partial<Query> = {}): Query => ({
  vector: Array.from(v),
  topK: 5,
  outputFields: ['price'],
  ...o,
});

/** One worker on `collection`; rows it writes carry `fields` besides their price. */
export function cacheWorker(
  cache: ResultCache,
  collection: string,
  fields: Record<string, unknown> = {},
) {
  const { app } = createApp({
    backend: cache,
    resultCache: cache,
    options: appOptions(testConfig({ allowUnauthenticated: true })),
    logger: silentLogger,
  });
  const post = (path: string, payload: unknown) => postJson(app, path, payload);
  const base = `/v1/collections/${collection}`;
  return {
    cache,
    async search(q: Query | string): Promise<{ id: string; fields?: { price?: number } }[]> {
      const res = await post(`${base}/search`, q);
      if (res.status !== 200) throw new Error(`search: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { hits: { id: string }[] }).hits;
    },
    async write(id: string, v: Float32Array, price: number): Promise<void> {
      const res = await post(`${base}/vectors`, {
        mode: 'upsert',
        rows: [{ id, vector: Array.from(v), price, ...fields }],
      });
      if (res.status !== 200) throw new Error(`write: ${res.status} ${await res.text()}`);
    },
  };
}
export type CacheWorker = ReturnType<typeof cacheWorker>;

/**
 * A writer moves row `probe` onto the query `q` with price = n, `writes`
 * times; two readers per worker search `q` meanwhile, and an answer whose
 * price is below the last price acknowledged before its search began is stale.
 */
export async function noStaleAnswers(
  writer: CacheWorker,
  readers: CacheWorker[],
  probe: string,
  q: Float32Array,
  writes = 60,
  /** Between writes: while a write is in flight nothing is served from the cache. */
  pauseMs = 2,
): Promise<{ stale: number; served: number }> {
  let acked = -1;
  let stale = 0;
  let served = 0;
  let done = false;
  const read = async (w: CacheWorker) => {
    while (!done) {
      const floor = acked; // acknowledged before this search began
      const hits = await w.search(query(q, { topK: 1 }));
      served++;
      const price = hits[0]?.id === probe ? Number(hits[0]!.fields?.price) : -1;
      if (price < floor) stale++;
      // A hit is microtasks only: yield, as requests arriving over sockets do.
      await new Promise((r) => setImmediate(r));
    }
  };
  const readersDone = Promise.all(readers.flatMap((r) => [read(r), read(r)]));
  for (let n = 0; n < writes; n++) {
    await writer.write(probe, q, n);
    acked = n;
    await new Promise((r) => setTimeout(r, pauseMs));
  }
  done = true;
  await readersDone;
  return { stale, served };
}
