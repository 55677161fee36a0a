import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedBackend } from '../../src/backends/embedded/embedded-backend.ts';
import { BatchingBackend, compatibilityKey } from '../../src/backends/micro-batcher.ts';
import type { SearchBackend, SearchOptions } from '../../src/backends/search-backend.ts';
import { parseFilter } from '../../src/core/filter.ts';
import { ensureDemoCollection } from '../../src/data/demo-collection.ts';
import { SyntheticVectors } from '../../src/data/synthetic-vectors.ts';
import { isSharedFailure } from '../../src/limits/shared-failure.ts';
import { silentLogger, tempDir } from '../helpers.ts';

const DIM = 32;
const FIELDS = [
  { name: 'category', type: 'string' as const, maxLength: 16 },
  { name: 'price', type: 'float' as const },
];
const opts = (o: Partial<SearchOptions> = {}): SearchOptions => ({
  topK: 10,
  filter: [],
  outputFields: [],
  ...o,
});

/** The real embedded backend, with its search calls counted. */
function counting(inner: SearchBackend) {
  const calls: number[] = [];
  const search = inner.search.bind(inner);
  inner.search = (name, vectors, o) => {
    calls.push(vectors.length);
    return search(name, vectors, o);
  };
  return calls;
}

describe('micro-batching over the real embedded backend', () => {
  const { dir, cleanup } = tempDir();
  let backend: EmbeddedBackend;
  beforeAll(async () => {
    backend = new EmbeddedBackend({ dataDir: dir, mode: 'writable', searchThreads: 1 });
    await backend.init();
    await ensureDemoCollection(backend, {
      name: 'products',
      size: 3000,
      dimension: DIM,
      logger: silentLogger,
    });
  }, 60_000);
  afterAll(async () => {
    await backend.close();
    cleanup();
  });

  it('answers 200 distinct concurrent searches exactly as each alone, in batched calls', async () => {
    const gen = new SyntheticVectors({ dimension: DIM, seed: 999 });
    const qs = Array.from({ length: 200 }, () => gen.next());
    const variant = (i: number) =>
      [
        opts({ topK: 5 }),
        opts({ topK: 10, filter: parseFilter({ category: 'A' }, FIELDS), outputFields: ['price'] }),
        opts({ topK: 10, ef: 40 }),
      ][i % 3]!;
    const alone = [];
    for (const [i, q] of qs.entries())
      alone.push((await backend.search('products', [q], variant(i)))[0]!);
    const calls = counting(backend);
    const batching = new BatchingBackend(backend, { maxBatch: 16, windowUs: 5000, slots: 1 });
    const together = await Promise.all(
      qs.map((q, i) => batching.search('products', [q], variant(i))),
    );
    for (const [i, hits] of together.entries()) {
      expect(
        hits[0]!.map((h) => h.id),
        `query ${i}`,
      ).toEqual(alone[i]!.map((h) => h.id));
      expect(hits[0]!.map((h) => h.fields)).toEqual(alone[i]!.map((h) => h.fields));
    }
    expect(calls.length).toBeLessThan(200 / 4);
    expect(Math.max(...calls)).toBe(16);
  });

  it('sends at once while a slot is free (no added wait when idle)', async () => {
    const batching = new BatchingBackend(backend, { maxBatch: 16, windowUs: 1_000_000, slots: 2 });
    const q = new SyntheticVectors({ dimension: DIM, seed: 5 }).next();
    const t = performance.now();
    await batching.search('products', [q], opts());
    expect(performance.now() - t).toBeLessThan(500); // a 1 s window would show
  });

  it('identical concurrent searches share one query (single-flight)', async () => {
    const batching = new BatchingBackend(backend, { maxBatch: 16, windowUs: 5000, slots: 1 });
    const q = new SyntheticVectors({ dimension: DIM, seed: 6 }).next();
    const other = new SyntheticVectors({ dimension: DIM, seed: 7 }).next();
    const calls = counting(backend);
    const first = batching.search('products', [other], opts()); // takes the slot
    const same = await Promise.all(
      Array.from({ length: 10 }, () => batching.search('products', [q], opts())),
    );
    await first;
    expect(calls).toEqual([1, 1]); // the ten identical ones went as one query
    for (const r of same) expect(r).toEqual(same[0]);
  });

  it('a cancelled or timed-out search leaves its batch at once; the others are answered', async () => {
    const batching = new BatchingBackend(backend, { maxBatch: 64, windowUs: 200_000, slots: 1 });
    const gen = new SyntheticVectors({ dimension: DIM, seed: 8 });
    // A slow call holds the one slot: a wide batch.
    const slow = backend.search(
      'products',
      Array.from({ length: 64 }, () => gen.next()),
      opts({ topK: 100, ef: 3000 }),
    );
    const hold = batching.search('products', [gen.next()], opts({ topK: 100, ef: 3000 }));
    const gone = new AbortController();
    const cancelled = batching.search('products', [gen.next()], { ...opts(), signal: gone.signal });
    const t = performance.now();
    const timedOut = batching.search('products', [gen.next()], {
      ...opts(),
      signal: AbortSignal.timeout(20),
    });
    const kept = batching.search('products', [gen.next()], opts());
    gone.abort(new Error('client went away'));
    await expect(cancelled).rejects.toThrow('client went away');
    await expect(timedOut).rejects.toThrow();
    expect(performance.now() - t).toBeLessThan(150); // not held for the window or the slow call
    expect((await kept)[0]).toHaveLength(10);
    await Promise.all([slow, hold]);
  });

  it('a failed batch call rejects each of its searches with one error, marked as one failure for a breaker', async () => {
    const batching = new BatchingBackend(backend, { maxBatch: 16, windowUs: 5000, slots: 1 });
    const vectors = new SyntheticVectors({ dimension: DIM, seed: 8 });
    const first = batching.search('products', [vectors.next()], opts()); // takes the slot
    // The next call fails (the collection does not exist), carrying the 5 searches queued behind it.
    const queued = Array.from({ length: 5 }, () =>
      batching.search('no-such-collection', [vectors.next()], opts()).catch((e: unknown) => e),
    );
    await first;
    const errors = await Promise.all(queued);
    expect(new Set(errors).size).toBe(1);
    expect(isSharedFailure(errors[0])).toBe(true);
    // A search that failed alone is its own failure.
    const alone = await batching
      .search('no-such-collection', [vectors.next()], opts())
      .catch((e: unknown) => e);
    expect(isSharedFailure(alone)).toBe(false);
  });

  it('only compatible searches share a call', () => {
    const a = compatibilityKey('p', opts({ outputFields: ['a', 'b'] }));
    expect(compatibilityKey('p', opts({ outputFields: ['b', 'a'] }))).toBe(a);
    expect(compatibilityKey('q', opts({ outputFields: ['a', 'b'] }))).not.toBe(a);
    expect(compatibilityKey('p', opts({ outputFields: ['a', 'b'], topK: 11 }))).not.toBe(a);
    expect(compatibilityKey('p', opts({ outputFields: ['a', 'b'], ef: 64 }))).not.toBe(a);
    expect(compatibilityKey('p', opts({ outputFields: ['a', 'b'], nprobe: 8 }))).not.toBe(a);
    expect(compatibilityKey('p', opts({ outputFields: ['a', 'b'], searchList: 50 }))).not.toBe(a);
    expect(
      compatibilityKey(
        'p',
        opts({ outputFields: ['a', 'b'], filter: [{ field: 'x', op: 'eq', value: 1 }] }),
      ),
    ).not.toBe(a);
  });
});
