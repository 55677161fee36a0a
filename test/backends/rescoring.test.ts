/**
 * Oversampling with exact rescoring on the embedded store: an i8 graph's
 * candidates scored from the stored float32 vectors give back the recall the
 * codes lose, with exact distances, after deletes and a compaction too; the
 * API checks the parameter.
 */
import { describe, expect, it } from 'vitest';
import { EmbeddedBackend } from '../../src/backends/embedded/embedded-backend.ts';
import type { SearchOptions } from '../../src/backends/search-backend.ts';
import type { CollectionSpec } from '../../src/core/types.ts';
import { SyntheticVectors } from '../../src/data/synthetic-vectors.ts';
import { createApp } from '../../src/server/app.ts';
import { appOptions } from '../../src/server/compose.ts';
import { body, postJson, silentLogger, tempDir, testConfig } from '../helpers.ts';

const DIM = 256;
const N = 3000;

/** Unit vectors around a few centres: components near 1/16, where i8's fixed x127 keeps ~4 bits. */
function unitVectors(n: number, seed: number): number[][] {
  const gen = new SyntheticVectors({ dimension: DIM, seed, clusters: 6, spread: 1.2 });
  return Array.from({ length: n }, () => {
    const v = Array.from(gen.next());
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
}
const data = unitVectors(N, 5);
const queries = unitVectors(60, 77);
const l2 = (a: number[], b: number[]) => a.reduce((s, x, i) => s + (x - b[i]!) ** 2, 0);

const spec = (oversampling?: number): CollectionSpec => ({
  name: 'items',
  dimension: DIM,
  metric: 'L2',
  fields: [],
  index: { quantization: 'i8', M: 16, efConstruction: 64, efSearch: 32, oversampling },
});

async function filled(dir: string, oversampling?: number) {
  const b = new EmbeddedBackend({ dataDir: dir, mode: 'writable' });
  await b.init();
  await b.createCollection(spec(oversampling));
  for (let i = 0; i < N; i += 1000)
    await b.write(
      'items',
      data.slice(i, i + 1000).map((vector, j) => ({ id: `r${i + j}`, vector, fields: {} })),
      { mode: 'insert' },
    );
  await b.flush('items'); // in a snapshot: the graph alone answers, as a large collection's does
  return b;
}

async function recall(b: EmbeddedBackend, live: Set<number>, o: Partial<SearchOptions> = {}) {
  let found = 0;
  for (const q of queries) {
    const truth = new Set(
      [...live]
        .map((i) => ({ i, d: l2(data[i]!, q) }))
        .sort((x, y) => x.d - y.d)
        .slice(0, 10)
        .map((x) => `r${x.i}`),
    );
    const [hits] = await b.search('items', [Float32Array.from(q)], {
      topK: 10,
      filter: [],
      outputFields: [],
      ...o,
    });
    for (const h of hits!) {
      expect(live.has(Number(h.id.slice(1)))).toBe(true);
      // Rescored distances are the exact ones.
      expect(h.distance).toBeCloseTo(l2(data[Number(h.id.slice(1))]!, q), 4);
    }
    found += hits!.filter((h) => truth.has(h.id)).length;
  }
  return found / (queries.length * 10);
}

describe('oversampling with exact rescoring', () => {
  it('gives an i8 graph back its recall, per request and as the collection default', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const all = new Set(data.map((_, i) => i));
      const b = await filled(dir);
      const plain = await recall(b, all);
      const over = await recall(b, all, { oversampling: 4 });
      console.log(`i8 ${DIM}-d, ef 32: recall@10 ${plain} alone, ${over} with oversampling 4`);
      expect(over).toBeGreaterThan(plain);
      expect(over).toBeGreaterThan(0.95);
      await b.close();
      const { dir: dir2, cleanup: cleanup2 } = tempDir();
      try {
        const d = await filled(dir2, 4);
        expect((await d.describe('items')).index).toMatchObject({ oversampling: 4 });
        // Another build of the same rows (thread order varies): the same recall class.
        expect(await recall(d, all)).toBeGreaterThan(0.95);
        await d.close();
      } finally {
        cleanup2();
      }
    } finally {
      cleanup();
    }
  }, 120_000);

  it('reads the right rows after deletes and a compaction', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const b = await filled(dir, 4);
      const gone = data.map((_, i) => i).filter((i) => i % 5 < 2); // 40%: compaction follows
      await b.delete(
        'items',
        gone.map((i) => `r${i}`),
      );
      await b.flush('items');
      const live = new Set(data.map((_, i) => i).filter((i) => i % 5 >= 2));
      expect((await b.describe('items')).count).toBe(live.size);
      expect(await recall(b, live)).toBeGreaterThan(0.95);
      await b.close();
    } finally {
      cleanup();
    }
  }, 120_000);

  it('the API checks params.oversampling and index.oversampling', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const b = await filled(dir);
      const { app } = createApp({
        backend: b,
        options: appOptions(testConfig({ allowUnauthenticated: true })),
        logger: silentLogger,
      });
      const post = (path: string, payload: unknown) => postJson(app, path, payload);
      const search = (params: unknown, topK = 10) =>
        post('/v1/collections/items/search', { vector: queries[0], topK, params });
      expect((await search({ oversampling: 4 })).status).toBe(200);
      for (const [params, detail] of [
        [{ oversampling: 0 }, /params.oversampling must be an integer from 1 to 64, got 0/],
        [{ oversampling: 2.5 }, /params.oversampling must be an integer from 1 to 64, got 2.5/],
        [{ oversampling: 65 }, /from 1 to 64, got 65/],
      ] as const) {
        const res = await search(params);
        expect(res.status).toBe(400);
        expect((await body(res)).detail).toMatch(detail);
      }
      const huge = await search({ oversampling: 64 }, 1000);
      expect(huge.status).toBe(400);
      expect((await body(huge)).detail).toMatch(/topK x params.oversampling \(1000 x 64\)/);
      const badIndex = await post('/v1/collections', {
        name: 'other',
        dimension: 4,
        index: { oversampling: 100 },
      });
      expect(badIndex.status).toBe(400);
      expect((await body(badIndex)).detail).toMatch(
        /index.oversampling must be an integer from 1 to 64/,
      );
      await b.close();
    } finally {
      cleanup();
    }
  }, 120_000);
});
