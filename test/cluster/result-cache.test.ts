/**
 * The result cache on a real embedded store, per worker and shared through a
 * real Redis (deploy/redis/redis.sh): exact keys, no answer from before a
 * write served after its acknowledgement (one worker, and two workers in
 * front of one store as PM2 workers in front of Milvus are), and Redis
 * killed mid-load costing no error.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalVersions, ResultCache } from '../../src/backends/cache/result-cache.ts';
import { EmbeddedBackend } from '../../src/backends/embedded/embedded-backend.ts';
import type { SearchOptions } from '../../src/backends/search-backend.ts';
import { connectRedis } from '../../src/cluster/redis-connection.ts';
import { RedisResultStore } from '../../src/cluster/redis-result-store.ts';
import type { CollectionSpec } from '../../src/core/types.ts';
import { tempDir } from '../helpers.ts';
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
const opts = (o: Partial<SearchOptions> = {}): SearchOptions => ({
  topK: 5,
  filter: [],
  outputFields: ['price'],
  ...o,
});

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
  await store.close();
  redis.cleanup();
  data.cleanup();
});

/** Workers of one deployment share a prefix; each test is a deployment of its own. */
let deployment = `t${Date.now()}`;

async function sharedCache(): Promise<ResultCache> {
  const connection = connectRedis(redis.url, { commandTimeoutMs: 200 });
  connections.push(connection);
  await new Promise((r) => connection.once('ready', r));
  const versions = new RedisResultStore(connection, { ttlMs: 60_000, prefix: deployment });
  stores.push(versions);
  const cache = new ResultCache(store, { maxBytes: 1 << 20, ttlMs: 60_000, versions });
  versions.onRecover = () => cache.clear();
  return cache;
}

describe('ResultCache', () => {
  it('answers a repeat from memory and misses on any change of vector bytes or parameter', async () => {
    const cache = new ResultCache(store, {
      maxBytes: 1 << 20,
      ttlMs: 60_000,
      versions: new LocalVersions(),
    });
    const q = vec(1000);
    const first = await cache.search('c', [q], opts());
    expect(await cache.search('c', [q], opts())).toEqual(first);
    expect(cache.stats).toMatchObject({ hits: 1, misses: 1 });
    const nudged = Float32Array.from(q);
    nudged[3] = Math.fround(nudged[3]! + 1e-6); // one component, a few ulps
    const changes: [Float32Array, Partial<SearchOptions>][] = [
      [nudged, {}],
      [q, { topK: 6 }],
      [q, { ef: 80 }],
      [q, { outputFields: [] }],
      [q, { filter: [{ field: 'price', op: 'lt', value: 100 }] as SearchOptions['filter'] }],
    ];
    for (const [v, o] of changes) await cache.search('c', [v], opts(o));
    expect(cache.stats).toMatchObject({ hits: 1, misses: 1 + changes.length });
    // Bounded by bytes: a tiny cache evicts.
    const tiny = new ResultCache(store, {
      maxBytes: 2000,
      ttlMs: 60_000,
      versions: new LocalVersions(),
    });
    for (let i = 0; i < 20; i++) await tiny.search('c', [vec(2000 + i)], opts());
    expect(tiny.stats.evictions).toBeGreaterThan(0);
    expect(tiny.bytes).toBeLessThanOrEqual(2000);
  });

  /** A writer moves row `probe` onto the query with price = n; readers must never see an older n. */
  let probes = 0;
  async function noStaleAnswers(writer: ResultCache, readers: ResultCache[]) {
    // A row and a query of this call's own: an earlier call's row must not answer for it.
    const probe = `probe${++probes}`;
    const q = vec(5000 + probes);
    let acked = -1;
    let stale = 0;
    let served = 0;
    let done = false;
    const read = async (cache: ResultCache) => {
      while (!done) {
        const floor = acked; // acknowledged before this search began
        const [hits] = await cache.search('c', [q], opts({ topK: 1 }));
        served++;
        const price = hits![0]?.id === probe ? Number(hits![0]!.fields?.price) : -1;
        if (price < floor) stale++;
        // A hit is microtasks only: yield, as requests arriving over sockets do.
        await new Promise((r) => setImmediate(r));
      }
    };
    const readersDone = Promise.all(readers.flatMap((r) => [read(r), read(r)]));
    for (let n = 0; n < 60; n++) {
      await writer.write('c', [{ id: probe, vector: Array.from(q), fields: { price: n } }], {
        mode: 'upsert',
      });
      acked = n;
      await new Promise((r) => setTimeout(r, 2));
    }
    done = true;
    await readersDone;
    return { stale, served };
  }

  it('never serves an answer from before an acknowledged write (one worker)', async () => {
    const cache = new ResultCache(store, {
      maxBytes: 1 << 20,
      ttlMs: 60_000,
      versions: new LocalVersions(),
    });
    const r = await noStaleAnswers(cache, [cache]);
    expect(r.served).toBeGreaterThan(100);
    expect(r.stale).toBe(0);
    expect(cache.stats.hits + cache.stats.bypassed).toBeGreaterThan(0);
  }, 60_000);

  it('never serves an answer from before an acknowledged write across two workers sharing versions in Redis', async () => {
    deployment = `t${Date.now()}-two`;
    const a = await sharedCache();
    const b = await sharedCache();
    const r = await noStaleAnswers(a, [a, b]);
    expect(r.served).toBeGreaterThan(100);
    expect(r.stale).toBe(0);
    expect(b.stats.hits).toBeGreaterThan(0); // b did serve from its cache between writes
    // The shared tier served worker b what worker a computed.
    const q = vec(6000);
    await a.search('c', [q], opts());
    await new Promise((r) => setTimeout(r, 50)); // a's store is sent without waiting
    await b.search('c', [q], opts());
    expect(b.stats.sharedHits).toBeGreaterThan(0);
  }, 60_000);

  it('the check can fail: a second worker with versions of its own (no Redis) serves stale answers', async () => {
    const a = new ResultCache(store, {
      maxBytes: 1 << 20,
      ttlMs: 60_000,
      versions: new LocalVersions(),
    });
    const b = new ResultCache(store, {
      maxBytes: 1 << 20,
      ttlMs: 60_000,
      versions: new LocalVersions(),
    });
    const r = await noStaleAnswers(a, [b]);
    expect(r.stale).toBeGreaterThan(0);
  }, 60_000);

  it('costs no error when Redis dies mid-load, and caches again once it is back', async () => {
    deployment = `t${Date.now()}-down`;
    const a = await sharedCache();
    const q = vec(7000);
    let errors = 0;
    let done = false;
    const load = (async () => {
      for (let i = 0; !done; i++) {
        try {
          await a.search('c', [i % 3 === 0 ? q : vec(7000 + (i % 50))], opts());
          if (i % 10 === 0)
            await a.write('c', [{ id: 'x', vector: Array.from(q), fields: { price: i } }], {
              mode: 'upsert',
            });
        } catch {
          errors++;
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    redis.kill();
    await new Promise((r) => setTimeout(r, 1000));
    const skipsWhileDown = a.stats.skips;
    redis.up();
    await new Promise((r) => setTimeout(r, 1500));
    const hitsBefore = a.stats.hits + a.stats.sharedHits;
    await new Promise((r) => setTimeout(r, 500));
    done = true;
    await load;
    expect(errors).toBe(0);
    expect(skipsWhileDown).toBeGreaterThan(0);
    expect(a.stats.hits + a.stats.sharedHits).toBeGreaterThan(hitsBefore);
  }, 60_000);
});
