import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedBackend } from '../../src/backends/embedded/embedded-backend.ts';
import type { SearchOptions } from '../../src/backends/search-backend.ts';
import {
  ConflictError,
  NotFoundError,
  ReadOnlyError,
  UnavailableError,
} from '../../src/core/errors.ts';
import { parseFilter } from '../../src/core/filter.ts';
import type { CollectionSpec, Fields, Metric, Row } from '../../src/core/types.ts';
import { SyntheticVectors } from '../../src/data/synthetic-vectors.ts';
import { tempDir } from '../helpers.ts';

const DIM = 16;
const N = 3000;
const spec = (name = 'items', metric: Metric = 'L2'): CollectionSpec => ({
  name,
  dimension: DIM,
  metric,
  fields: [
    { name: 'category', type: 'string' },
    { name: 'price', type: 'float' },
  ],
});

function makeRows(n: number, seed = 7): Row[] {
  const gen = new SyntheticVectors({ dimension: DIM, seed, clusters: 8 });
  return Array.from({ length: n }, (_, i) => ({
    id: `r${i}`,
    vector: Array.from(gen.next()),
    fields: { category: 'ABCD'[i % 4]!, price: (i * 37) % 100 },
  }));
}

/** Independent brute force: squared L2 for L2, similarity for IP/COSINE. */
function bruteForce(
  rows: Row[],
  q: Float32Array,
  k: number,
  metric: Metric,
  keep: (f: Fields) => boolean,
) {
  const scored = rows
    .filter((r) => keep(r.fields))
    .map((r) => {
      let d = 0;
      let dot = 0;
      let na = 0;
      let nb = 0;
      r.vector.forEach((x, i) => {
        d += (x - q[i]!) ** 2;
        dot += x * q[i]!;
        na += x * x;
        nb += q[i]! * q[i]!;
      });
      const s = metric === 'L2' ? d : metric === 'IP' ? dot : dot / Math.sqrt(na * nb);
      return { id: r.id!, s };
    });
  scored.sort((a, b) => (metric === 'L2' ? a.s - b.s : b.s - a.s));
  return scored.slice(0, k);
}

const queries = (n: number) => {
  const gen = new SyntheticVectors({ dimension: DIM, seed: 99, clusters: 8 });
  return Array.from({ length: n }, () => gen.next());
};

function opts(partial: Partial<SearchOptions> = {}): SearchOptions {
  return { topK: 10, filter: [], outputFields: [], ...partial };
}

describe('EmbeddedBackend search', () => {
  const { dir, cleanup } = tempDir();
  const rows = makeRows(N);
  let backend: EmbeddedBackend;
  let exactBackend: EmbeddedBackend;

  beforeAll(async () => {
    backend = new EmbeddedBackend({
      dataDir: join(dir, 'a'),
      mode: 'writable',
      bruteForceLimit: 2048,
    });
    await backend.init();
    await backend.createCollection(spec());
    await backend.write('items', rows, { mode: 'insert' });
    // Same data, but every filtered search takes the graph path (bruteForceLimit 0).
    exactBackend = new EmbeddedBackend({
      dataDir: join(dir, 'b'),
      mode: 'writable',
      bruteForceLimit: 0,
    });
    await exactBackend.init();
    await exactBackend.createCollection(spec());
    await exactBackend.write('items', rows, { mode: 'insert' });
    return async () => {
      await backend.close();
      await exactBackend.close();
      cleanup();
    };
  });

  it('finds the true nearest neighbours of unfiltered queries (recall@10 >= 0.95)', async () => {
    let found = 0;
    for (const q of queries(50)) {
      const [hits] = await backend.search('items', [q], opts());
      const truth = new Set(bruteForce(rows, q, 10, 'L2', () => true).map((t) => t.id));
      found += hits!.filter((h) => truth.has(h.id)).length;
    }
    expect(found / 500).toBeGreaterThanOrEqual(0.95);
  });

  it('answers a filter matching a small subset exactly, in brute-force order', async () => {
    const filter = parseFilter({ category: 'A', price: { lt: 12 } }, spec().fields);
    for (const q of queries(10)) {
      const [hits] = await backend.search('items', [q], opts({ filter }));
      const truth = bruteForce(
        rows,
        q,
        10,
        'L2',
        (f) => f.category === 'A' && (f.price as number) < 12,
      );
      expect(hits!.map((h) => h.id)).toEqual(truth.map((t) => t.id));
      for (const [i, h] of hits!.entries()) expect(h.distance).toBeCloseTo(truth[i]!.s, 4);
    }
  });

  it('returns only matching rows, and enough of them, when a filter takes the graph path', async () => {
    const cases = [
      { category: { in: ['B', 'C'] } },
      { category: 'D', price: { gte: 50 } },
      { price: { lt: 2 } },
    ];
    for (const raw of cases) {
      const filter = parseFilter(raw, spec().fields);
      let found = 0;
      for (const q of queries(20)) {
        const [hits] = await exactBackend.search(
          'items',
          [q],
          opts({ filter, outputFields: ['category', 'price'] }),
        );
        const truth = bruteForce(rows, q, 10, 'L2', (f) =>
          rows.length > 0 ? matches(raw, f) : false,
        );
        expect(hits).toHaveLength(Math.min(10, truth.length));
        for (const h of hits!) expect(matches(raw, h.fields!)).toBe(true);
        const ids = new Set(truth.map((t) => t.id));
        found += hits!.filter((h) => ids.has(h.id)).length / Math.max(1, truth.length);
      }
      expect(found / 20).toBeGreaterThanOrEqual(0.9);
    }
  });

  it('honours ef: a breadth covering the whole collection gives exact answers', async () => {
    let found = 0;
    for (const q of queries(20)) {
      const [hits] = await backend.search('items', [q], opts({ ef: N }));
      const truth = new Set(bruteForce(rows, q, 10, 'L2', () => true).map((t) => t.id));
      found += hits!.filter((h) => truth.has(h.id)).length;
    }
    expect(found / 200).toBeGreaterThanOrEqual(0.99);
  });

  it('answers a batch exactly as it answers each of its queries', async () => {
    const qs = queries(5);
    const batch = await backend.search('items', qs, opts({ topK: 5 }));
    for (const [i, q] of qs.entries()) {
      expect(batch[i]).toEqual((await backend.search('items', [q], opts({ topK: 5 })))[0]);
    }
  });

  it('returns requested scalar fields with each hit', async () => {
    const [hits] = await backend.search(
      'items',
      [queries(1)[0]!],
      opts({ topK: 3, outputFields: ['category'] }),
    );
    for (const h of hits!) {
      const row = rows.find((r) => r.id === h.id)!;
      expect(h.fields).toEqual({ category: row.fields.category });
    }
  });

  it('raises NotFoundError for an unknown collection', async () => {
    await expect(backend.search('nope', queries(1), opts())).rejects.toThrow(NotFoundError);
    await expect(backend.describe('nope')).rejects.toThrow('collection "nope" does not exist');
  });
});

function matches(raw: Record<string, unknown>, f: Fields): boolean {
  return Object.entries(raw).every(([k, cond]) => {
    const v = f[k] as number | string;
    if (typeof cond !== 'object' || cond === null) return v === cond;
    return Object.entries(cond).every(([op, x]) => {
      if (op === 'in') return (x as unknown[]).includes(v);
      if (op === 'gte') return (v as number) >= (x as number);
      if (op === 'lt') return (v as number) < (x as number);
      throw new Error(op);
    });
  });
}

describe('EmbeddedBackend with IP and COSINE metrics', () => {
  it.each(['IP', 'COSINE'] as Metric[])(
    'reports %s as a similarity, highest first',
    async (metric) => {
      const { dir, cleanup } = tempDir();
      const b = new EmbeddedBackend({ dataDir: dir, mode: 'writable' });
      await b.init();
      try {
        const rows = makeRows(500);
        await b.createCollection(spec('m', metric));
        await b.write('m', rows, { mode: 'insert' });
        const q = queries(1)[0]!;
        const [hits] = await b.search('m', [q], opts({ topK: 5, ef: 500 }));
        const truth = bruteForce(rows, q, 5, metric, () => true);
        expect(hits!.map((h) => h.id)).toEqual(truth.map((t) => t.id));
        for (const [i, h] of hits!.entries()) expect(h.distance).toBeCloseTo(truth[i]!.s, 3);
      } finally {
        await b.close();
        cleanup();
      }
    },
  );
});

describe('EmbeddedBackend writes and persistence', () => {
  const cleanups: (() => void | Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function open(
    dataDir: string,
    extra: Partial<ConstructorParameters<typeof EmbeddedBackend>[0]> = {},
  ) {
    const b = new EmbeddedBackend({ dataDir, mode: 'writable', ...extra });
    await b.init();
    return b;
  }

  function scratch() {
    const t = tempDir();
    cleanups.push(t.cleanup);
    return t.dir;
  }

  it('upsert replaces a row, insert refuses an existing id, delete removes rows', async () => {
    const b = await open(scratch());
    cleanups.push(() => b.close());
    await b.createCollection(spec());
    const rows = makeRows(200);
    await b.write('items', rows, { mode: 'insert' });
    const moved = Array.from(queries(1)[0]!);
    await b.write('items', [{ id: 'r5', vector: moved, fields: { category: 'Z', price: 1 } }], {
      mode: 'upsert',
    });
    const [hits] = await b.search(
      'items',
      [Float32Array.from(moved)],
      opts({ topK: 1, outputFields: ['category'] }),
    );
    expect(hits![0]).toMatchObject({ id: 'r5', fields: { category: 'Z' } });
    expect(hits![0]!.distance).toBeCloseTo(0, 5);
    expect((await b.describe('items')).count).toBe(200);

    await expect(b.write('items', [rows[0]!], { mode: 'insert' })).rejects.toThrow(ConflictError);

    expect(await b.delete('items', ['r5', 'r6', 'missing'])).toEqual({ deleted: 2 });
    expect((await b.describe('items')).count).toBe(198);
    const [after] = await b.search(
      'items',
      [Float32Array.from(moved)],
      opts({ topK: 50, ef: 200 }),
    );
    expect(after!.map((h) => h.id)).not.toContain('r5');
  });

  it('generates ids for rows without one', async () => {
    const b = await open(scratch());
    cleanups.push(() => b.close());
    await b.createCollection(spec());
    const { ids, durability } = await b.write(
      'items',
      makeRows(3).map(({ id: _id, ...r }) => r),
      { mode: 'insert' },
    );
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
    expect(durability).toBe('fsynced');
  });

  it('keeps every acknowledged write across a crash (no close) by replaying the log', async () => {
    const dataDir = scratch();
    const b = await open(dataDir);
    await b.createCollection(spec());
    const rows = makeRows(300);
    await b.write('items', rows.slice(0, 200), { mode: 'insert' });
    await b.write('items', rows.slice(200), { mode: 'insert' });
    await b.delete('items', ['r0']);
    // No close(): the process "crashed". The lock's pid is ours, so a new open takes it over.
    // (The abandoned instance is closed only after the test, once the reopened one is: its
    // file handles are released explicitly rather than by the garbage collector.)
    cleanups.push(() => b.close());
    const reopened = await open(dataDir);
    cleanups.push(() => reopened.close());
    expect((await reopened.describe('items')).count).toBe(299);
    const q = Float32Array.from(rows[250]!.vector);
    const [hits] = await reopened.search('items', [q], opts({ topK: 1 }));
    expect(hits![0]!.id).toBe('r250');
  });

  it('serves a reopened collection from its mapped snapshot, then writes, deletes and persists as before', async () => {
    const dataDir = scratch();
    const first = await open(dataDir);
    await first.createCollection(spec());
    const rows = makeRows(300);
    await first.write('items', rows, { mode: 'insert' });
    await first.close();
    // Reopened, the graph is memory-mapped from the snapshot until the first write.
    const b = await open(dataDir);
    cleanups.push(() => b.close());
    const q = Float32Array.from(rows[42]!.vector);
    expect((await b.search('items', [q], opts({ topK: 1 })))[0]![0]!.id).toBe('r42');
    // The first write reads the graph into memory; searches see it at once.
    const moved = Array.from(queries(1)[0]!);
    await b.write('items', [{ id: 'r7', vector: moved, fields: { category: 'Z', price: 1 } }], {
      mode: 'upsert',
    });
    const [hits] = await b.search('items', [Float32Array.from(moved)], opts({ topK: 1 }));
    expect(hits![0]!.id).toBe('r7');
    expect(await b.delete('items', ['r42'])).toEqual({ deleted: 1 });
    const [gone] = await b.search('items', [q], opts({ topK: 20, ef: 300 }));
    expect(gone!.map((h) => h.id)).not.toContain('r42');
    await b.close();
    cleanups.pop();
    const again = await open(dataDir);
    cleanups.push(() => again.close());
    expect((await again.describe('items')).count).toBe(299);
    const [after] = await again.search('items', [Float32Array.from(moved)], opts({ topK: 1 }));
    expect(after![0]!.id).toBe('r7');
  });

  it('drops a torn record at the log tail (a write that was never acknowledged)', async () => {
    const dataDir = scratch();
    const b = await open(dataDir);
    await b.createCollection(spec());
    await b.write('items', makeRows(10), { mode: 'insert' });
    const wal = join(dataDir, 'collections', 'items', 'wal.log');
    const good = statSync(wal).size;
    appendFileSync(wal, Buffer.from([200, 0, 0, 0, 16, 0, 0, 0, 123, 34])); // half a frame
    const reopened = await open(dataDir);
    cleanups.push(() => reopened.close());
    expect((await reopened.describe('items')).count).toBe(10);
    expect(statSync(wal).size).toBe(good);
  });

  it('folds the log into a snapshot on close and past checkpointBytes', async () => {
    const dataDir = scratch();
    const b = await open(dataDir, { checkpointBytes: 4096 });
    await b.createCollection(spec());
    await b.write('items', makeRows(100), { mode: 'insert' }); // ~7 KiB of log: checkpoint
    const wal = join(dataDir, 'collections', 'items', 'wal.log');
    expect(statSync(wal).size).toBe(0);
    await b.write(
      'items',
      makeRows(1, 3).map((r) => ({ ...r, id: 'extra' })),
      { mode: 'insert' },
    );
    expect(statSync(wal).size).toBeGreaterThan(0);
    await b.close();
    expect(statSync(wal).size).toBe(0);
    const current = readFileSync(join(dataDir, 'collections', 'items', 'CURRENT'), 'utf8');
    expect(existsSync(join(dataDir, 'collections', 'items', current, 'index.usearch'))).toBe(true);
    const reopened = await open(dataDir);
    cleanups.push(() => reopened.close());
    expect((await reopened.describe('items')).count).toBe(101);
  });

  it('refuses a second writer on the same data directory, naming the holder', async () => {
    const dataDir = scratch();
    const b = await open(dataDir);
    await b.close();
    writeFileSync(join(dataDir, 'writer.lock'), String(process.ppid)); // a live process
    const second = new EmbeddedBackend({ dataDir, mode: 'writable' });
    await expect(second.init()).rejects.toThrow(UnavailableError);
    await expect(second.init()).rejects.toThrow(`open for writing by pid ${process.ppid}`);
    writeFileSync(join(dataDir, 'writer.lock'), '999999999'); // a dead one: stale, taken over
    const third = await open(dataDir);
    await third.close();
  });

  it('serves a shared, memory-mapped copy read-only: same answers, writes refused', async () => {
    const dataDir = scratch();
    const rows = makeRows(500);
    const prepare = async (w: EmbeddedBackend) => {
      if ((await w.listCollections()).includes('items')) return;
      await w.createCollection(spec());
      await w.write('items', rows, { mode: 'insert' });
    };
    const a = await EmbeddedBackend.openShared({ dataDir }, prepare);
    const b = await EmbeddedBackend.openShared({ dataDir }, prepare); // a second "worker"
    cleanups.push(
      () => a.close(),
      () => b.close(),
    );
    expect(existsSync(join(dataDir, 'writer.lock'))).toBe(false);
    const q = queries(1)[0]!;
    expect(await b.search('items', [q], opts())).toEqual(await a.search('items', [q], opts()));
    expect((await a.describe('items')).writable).toBe(false);
    await expect(a.write('items', rows.slice(0, 1), { mode: 'upsert' })).rejects.toThrow(
      ReadOnlyError,
    );
    await expect(a.delete('items', ['r1'])).rejects.toThrow(/served read-only/);
    await expect(a.createCollection(spec('other'))).rejects.toThrow(ReadOnlyError);
  });

  it('drops a collection with its files', async () => {
    const dataDir = scratch();
    const b = await open(dataDir);
    cleanups.push(() => b.close());
    await b.createCollection(spec());
    await expect(b.createCollection(spec())).rejects.toThrow(ConflictError);
    await b.dropCollection('items');
    expect(await b.listCollections()).toEqual([]);
    expect(existsSync(join(dataDir, 'collections', 'items'))).toBe(false);
  });
});
