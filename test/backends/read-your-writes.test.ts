/**
 * Read your writes on the embedded store: an acknowledged row is found first
 * by its own vector at once, however far it lies from the rest, on the event
 * loop and with search threads on, before and after a checkpoint and a
 * restart. The same outliers added to a plain usearch graph are not all
 * found: the check can fail.
 */
import { Index, MetricKind, ScalarKind } from 'usearch';
import { describe, expect, it } from 'vitest';
import { EmbeddedBackend } from '../../src/backends/embedded/embedded-backend.ts';
import type { CollectionSpec } from '../../src/core/types.ts';
import { SyntheticVectors } from '../../src/data/synthetic-vectors.ts';
import { tempDir } from '../helpers.ts';

const DIM = 64;
const BASE = 4000;
const OUTLIERS = 1000;

const spec: CollectionSpec = {
  name: 'items',
  dimension: DIM,
  metric: 'L2',
  fields: [{ name: 'tag', type: 'string' }],
  index: { M: 16, efConstruction: 64, efSearch: 64 },
};

function mulberry(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Clustered base rows, as the demo's. */
const base = (() => {
  const gen = new SyntheticVectors({ dimension: DIM, seed: 21, clusters: 8, spread: 0.5 });
  return Array.from({ length: BASE }, () => Array.from(gen.next()));
})();

/** Far outliers: each in a random direction, far from the data and from each other. */
const outliers = (() => {
  const rnd = mulberry(99);
  return Array.from({ length: OUTLIERS }, () => {
    const v = Array.from({ length: DIM }, () => rnd() * 2 - 1);
    const norm = Math.hypot(...v);
    return v.map((x) => (x / norm) * (20 + rnd() * 20));
  });
})();

async function topId(b: EmbeddedBackend, v: number[]): Promise<string | undefined> {
  const [hits] = await b.search('items', [Float32Array.from(v)], {
    topK: 1,
    filter: [],
    outputFields: [],
  });
  return hits![0]?.id;
}

describe('read your writes', () => {
  it('1,000 far outliers inserted one at a time are each found first by their own vector right after the acknowledgement (search threads on)', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const b = new EmbeddedBackend({ dataDir: dir, mode: 'writable', searchThreads: 1 });
      await b.init();
      await b.createCollection(spec);
      for (let i = 0; i < BASE; i += 500) {
        const rows = base.slice(i, i + 500).map((vector, j) => ({
          id: `b${i + j}`,
          vector,
          fields: { tag: 'base' },
        }));
        await b.write('items', rows, { mode: 'insert' });
      }
      await b.flush('items'); // the base is in a snapshot: the outliers are all fresh writes
      const missed: number[] = [];
      for (let i = 0; i < OUTLIERS; i++) {
        await b.write('items', [{ id: `o${i}`, vector: outliers[i]!, fields: { tag: 'far' } }], {
          mode: 'insert',
        });
        if ((await topId(b, outliers[i]!)) !== `o${i}`) missed.push(i);
      }
      expect(missed).toEqual([]);
      // Fresh writes are searched on the thread too (it reads the tail since its snapshot).
      expect(b.searchesRun).toMatchObject({ loop: 0, threads: OUTLIERS });
      // Folded into a snapshot: the rows the graph cannot reach stay in the exact scan, and
      // searches go to the search thread again (no writes since the snapshot).
      await b.flush('items');
      const threadSearches = b.searchesRun.threads;
      for (let i = 0; i < OUTLIERS; i++)
        if ((await topId(b, outliers[i]!)) !== `o${i}`) missed.push(i);
      expect(missed).toEqual([]);
      expect(b.searchesRun.threads - threadSearches).toBe(OUTLIERS);
      // One call with every outlier: the thread gets them as views into one buffer, and each
      // is still found first (the exact scan once read every view from the buffer's start).
      const together = await b.search(
        'items',
        outliers.map((v) => Float32Array.from(v)),
        { topK: 1, filter: [], outputFields: [] },
      );
      expect(together.map((hits) => hits[0]?.id)).toEqual(outliers.map((_, i) => `o${i}`));
      // Deleted rows are not found, even those kept in the exact scan.
      await b.delete('items', ['o0', 'o1']);
      expect(await topId(b, outliers[0]!)).not.toBe('o0');
      await b.close();
      // After a restart, from the snapshot alone.
      const again = new EmbeddedBackend({ dataDir: dir, mode: 'writable' });
      await again.init();
      for (let i = 2; i < OUTLIERS; i++)
        if ((await topId(again, outliers[i]!)) !== `o${i}`) missed.push(i);
      expect(missed).toEqual([]);
      await again.close();
    } finally {
      cleanup();
    }
  }, 120_000);

  it("on an i8 graph: hits carry exact distances in the user's units, and the merge with fresh rows keeps recall", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const b = new EmbeddedBackend({ dataDir: dir, mode: 'writable' });
      await b.init();
      await b.createCollection({ ...spec, index: { ...spec.index, quantization: 'i8' } });
      const rows = base
        .slice(0, 2000)
        .map((vector, i) => ({ id: `b${i}`, vector, fields: { tag: 'x' } }));
      await b.write('items', rows, { mode: 'insert' });
      await b.flush('items');
      // A tail of fresh rows: searches now merge the graph's hits with the exact scan.
      const tail = base
        .slice(2000, 2300)
        .map((vector, i) => ({ id: `t${i}`, vector, fields: { tag: 'x' } }));
      await b.write('items', tail, { mode: 'insert' });
      const all = new Map([...rows, ...tail].map((r) => [r.id, r.vector]));
      const l2 = (v: number[], q: number[]) => v.reduce((a, x, k) => a + (x - q[k]!) ** 2, 0);
      let found = 0;
      for (const q of base.slice(3000, 3040)) {
        const truth = new Set(
          [...all]
            .map(([id, v]) => ({ id, d: l2(v, q) }))
            .sort((a, b) => a.d - b.d)
            .slice(0, 10)
            .map((x) => x.id),
        );
        const [hits] = await b.search('items', [Float32Array.from(q)], {
          topK: 10,
          filter: [],
          outputFields: [],
        });
        for (const h of hits!) expect(h.distance).toBeCloseTo(l2(all.get(h.id)!, q), 3);
        const d = hits!.map((h) => h.distance);
        expect(d).toEqual([...d].sort((x, y) => x - y));
        found += hits!.filter((h) => truth.has(h.id)).length;
      }
      // Fresh rows are 300 of 2,300: a merge that ranked them all first would keep about 13%.
      expect(found / 400).toBeGreaterThan(0.8);
      await b.close();
    } finally {
      cleanup();
    }
  });

  it('the check can fail: a plain usearch graph given the same rows misses some outliers', () => {
    const index = new Index({
      dimensions: DIM,
      metric: MetricKind.L2sq,
      quantization: ScalarKind.F32,
      connectivity: 16,
      expansion_add: 64,
      expansion_search: 64,
      multi: false,
    });
    index.add(
      BigUint64Array.from(base, (_, i) => BigInt(i)),
      Float32Array.from(base.flat()),
      0,
    );
    let missed = 0;
    for (let i = 0; i < OUTLIERS; i++) {
      const key = BigInt(BASE + i);
      const v = Float32Array.from(outliers[i]!);
      index.add(key, v, 1);
      if (index.search(v, 1, 1).keys[0] !== key) missed++;
    }
    expect(missed).toBeGreaterThan(0);
  });
});
