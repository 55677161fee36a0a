/**
 * The result cache through the HTTP application on a real embedded store, per
 * worker and shared through a real Redis (deploy/redis/redis.sh): exact keys
 * (the raw body's bytes), no answer from before a write served after its
 * acknowledgement (one worker, and two workers in front of one store as PM2
 * workers in front of Milvus are), and Redis killed mid-load costing no error.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalVersions, ResultCache } from '../../src/backends/cache/result-cache.ts';
import { EmbeddedBackend } from '../../src/backends/embedded/embedded-backend.ts';
import { connectRedis } from '../../src/cluster/redis-connection.ts';
import { RedisResultStore } from '../../src/cluster/redis-result-store.ts';
import type { CollectionSpec } from '../../src/core/types.ts';
import { tempDir } from '../helpers.ts';
import {
  type CacheWorker,
  cacheWorker,
  type Query,
  query,
  noStaleAnswers as staleCheck,
} from './cache-workers.ts';
import { redisForTest } from './redis-server.ts';

const DIM = 16;
const redis = redisForTest();
const data = tempDir('vecserve-cache-');
let store: EmbeddedBackend;
const connections: Redis[] = [];
const stores: RedisResultStore[] = [];

const spec: CollectionSpec = {
  name: 'c',
  dimension: DIM,
  metric: 'L2',
  fields: [{ name: 'price', type: 'float' }],
  index: { M: 16, efConstruction: 64, efSearch: 64 },
};
const vec = (seed: number) =>
  Float32Array.from({ length: DIM }, (_, i) => Math.sin(seed * 7.3 + i * 1.7));
beforeAll(async () => {
  redis.up();
  store = new EmbeddedBackend({ dataDir: data.dir, mode: 'writable' });
  await store.init();
  await store.createCollection(spec);
  await store.write(
    'c',
    Array.from({ length: 300 }, (_, i) => ({
      id: `r${i}`,
      vector: Array.from(vec(i)),
      fields: { price: i },
    })),
    { mode: 'insert' },
  );
}, 60_000);

afterAll(async () => {
  for (const s of stores) s.stop();
  for (const c of connections) c.disconnect();
  redis.cleanup(); // first: the redis-server this file started must stop whatever fails next
  try {
    await store.close();
  } finally {
    data.cleanup();
  }
});

/** Workers of one deployment share a prefix; each test is a deployment of its own. */
let deployment = `t${Date.now()}`;

const worker = (cache: ResultCache) => cacheWorker(cache, 'c');
const localWorker = (maxBytes = 1 << 20) =>
  worker(new ResultCache(store, { maxBytes, ttlMs: 60_000, versions: new LocalVersions() }));
/** Each call a row and a query of its own: an earlier call's row must not answer for it. */
let probes = 0;
const noStaleAnswers = (writer: CacheWorker, readers: CacheWorker[]) => {
  probes++;
  return staleCheck(writer, readers, `probe${probes}`, vec(5000 + probes));
};

async function sharedWorker(): Promise<CacheWorker> {
  const connection = connectRedis(redis.url, { commandTimeoutMs: 200 });
  connections.push(connection);
  await new Promise((r) => connection.once('ready', r));
  const versions = new RedisResultStore(connection, { ttlMs: 60_000, prefix: deployment });
  stores.push(versions);
  const cache = new ResultCache(store, { maxBytes: 1 << 20, ttlMs: 60_000, versions });
  versions.onRecover = () => cache.clear();
  return worker(cache);
}

describe('the result cache', () => {
  it('answers a repeat from memory and misses on any change of vector bytes, parameter or body byte', async () => {
    const w = localWorker();
    const q = vec(1000);
    const first = await w.search(query(q));
    expect(await w.search(query(q))).toEqual(first);
    expect(w.cache.stats).toMatchObject({ hits: 1, misses: 1 });
    const nudged = Float32Array.from(q);
    nudged[3] = Math.fround(nudged[3]! + 1e-6); // one component, a few ulps
    const changes: (Query | string)[] = [
      query(nudged),
      query(q, { topK: 6 }),
      query(q, { params: { ef: 80 } }),
      query(q, { outputFields: [] }),
      query(q, { filter: { price: { lt: 100 } } }),
      // The same request with one more space: a miss (the key is the raw bytes), same answer.
      `${JSON.stringify(query(q))} `,
    ];
    for (const c of changes) await w.search(c);
    expect(w.cache.stats).toMatchObject({ hits: 1, misses: 1 + changes.length });
    expect(await w.search(changes.at(-1)!)).toEqual(first);
    // A bad body is answered by the route as before, and nothing is kept for it.
    await expect(w.search({ vector: [1, 2] } as Query)).rejects.toThrow(/400/);
    // Bounded by bytes: a tiny cache evicts.
    const tiny = localWorker(2000);
    for (let i = 0; i < 20; i++) await tiny.search(query(vec(2000 + i)));
    expect(tiny.cache.stats.evictions).toBeGreaterThan(0);
    expect(tiny.cache.bytes).toBeLessThanOrEqual(2000);
  });

  it('never serves an answer from before an acknowledged write (one worker)', async () => {
    const w = localWorker();
    const r = await noStaleAnswers(w, [w]);
    expect(r.served).toBeGreaterThan(100);
    expect(r.stale).toBe(0);
    expect(w.cache.stats.hits + w.cache.stats.bypassed).toBeGreaterThan(0);
  }, 60_000);

  it('never serves an answer from before an acknowledged write across two workers sharing versions in Redis', async () => {
    deployment = `t${Date.now()}-two`;
    const a = await sharedWorker();
    const b = await sharedWorker();
    const r = await noStaleAnswers(a, [a, b]);
    expect(r.served).toBeGreaterThan(100);
    expect(r.stale).toBe(0);
    expect(b.cache.stats.hits).toBeGreaterThan(0); // b did serve from its cache between writes
    // The shared tier served worker b what worker a computed.
    const q = vec(6000);
    const fromA = await a.search(query(q));
    await new Promise((r) => setTimeout(r, 50)); // a's store is sent without waiting
    expect(await b.search(query(q))).toEqual(fromA);
    expect(b.cache.stats.sharedHits).toBeGreaterThan(0);
  }, 60_000);

  it('the check can fail: a second worker with versions of its own (no Redis) serves stale answers', async () => {
    const r = await noStaleAnswers(localWorker(), [localWorker()]);
    expect(r.stale).toBeGreaterThan(0);
  }, 60_000);

  it('costs no error when Redis dies mid-load, and caches again once it is back', async () => {
    deployment = `t${Date.now()}-down`;
    const a = await sharedWorker();
    const q = vec(7000);
    let errors = 0;
    let done = false;
    const load = (async () => {
      for (let i = 0; !done; i++) {
        try {
          await a.search(query(i % 3 === 0 ? q : vec(7000 + (i % 50))));
          if (i % 10 === 0) await a.write('x', q, i);
        } catch {
          errors++;
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    redis.kill();
    await new Promise((r) => setTimeout(r, 1000));
    const skipsWhileDown = a.cache.stats.skips;
    redis.up();
    await new Promise((r) => setTimeout(r, 1500));
    const hitsBefore = a.cache.stats.hits + a.cache.stats.sharedHits;
    await new Promise((r) => setTimeout(r, 500));
    done = true;
    await load;
    expect(errors).toBe(0);
    expect(skipsWhileDown).toBeGreaterThan(0);
    expect(a.cache.stats.hits + a.cache.stats.sharedHits).toBeGreaterThan(hitsBefore);
  }, 60_000);
});
