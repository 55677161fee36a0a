/**
 * b1: one bit a dimension, the sign of each component after centring on the
 * mean row, compared by Hamming distance, every answer rescored exactly from
 * the raw float32 vectors. A graph 32x smaller than f32's vectors that needs
 * oversampling for its recall; the mean is kept with the snapshot.
 */
import { describe, expect, it } from 'vitest';
import { EmbeddedBackend } from '../../src/backends/embedded/embedded-backend.ts';
import { HnswIndex, meanRow } from '../../src/backends/embedded/hnsw-index.ts';
import type { IndexParams } from '../../src/core/types.ts';
import { createApp } from '../../src/server/app.ts';
import { appOptions } from '../../src/server/compose.ts';
import { body, postJson, silentLogger, tempDir, testConfig } from '../helpers.ts';
import {
  currentManifest,
  DIM,
  exactTop10,
  l2,
  row,
  unitVectors,
  writeAll,
} from './quantization-fixtures.ts';

const N = 3000;
/** Shifted off the origin on every other dimension, as real embeddings are. */
const offCentre = (i: number) => (i % 2 === 0 ? 0.1 : 0);
const data = unitVectors(N, 5, offCentre);
const queries = unitVectors(100, 77, offCentre);
const truth = exactTop10(data, queries).map((top) => top.map((i) => `r${i}`));
const params: IndexParams = { M: 16, efConstruction: 64, efSearch: 128, quantization: 'b1' };

async function filled(dir: string) {
  const b = new EmbeddedBackend({ dataDir: dir, mode: 'writable' });
  await b.init();
  await b.createCollection({
    name: 'items',
    dimension: DIM,
    metric: 'L2',
    fields: [],
    index: params,
  });
  await writeAll(b, data, 1000);
  await b.flush('items'); // in a snapshot: the graph alone answers
  return b;
}

async function recall(b: EmbeddedBackend, oversampling: number): Promise<number> {
  let found = 0;
  for (let qi = 0; qi < 100; qi++) {
    const q = row(queries, qi);
    const [hits] = await b.search('items', [q], {
      topK: 10,
      filter: [],
      outputFields: [],
      oversampling,
    });
    for (const h of hits!)
      expect(h.distance).toBeCloseTo(l2(row(data, Number(h.id.slice(1))), q), 4);
    found += hits!.filter((h) => truth[qi]!.includes(h.id)).length;
  }
  return found / 1000;
}

describe('b1: sign bits around the mean, rescored', () => {
  it('recovers its recall with oversampling, with exact distances, and keeps its mean with the snapshot', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const b = await filled(dir);
      const [one, eight] = [await recall(b, 1), await recall(b, 8)];
      console.log(`b1 ${DIM}-d, ef 128: recall@10 ${one} with oversampling 1, ${eight} with 8`);
      // Sign bits of 256 noisy dimensions say little alone; rescoring 8x the candidates recovers
      // most of it (docs/embedded-store.md: for which data b1 works).
      expect(eight).toBeGreaterThan(one + 0.2);
      expect(eight).toBeGreaterThan(0.55);
      await b.close();
      const { manifest } = currentManifest(dir);
      // The mean of the first rows the graph took (the first write), every dimension of it.
      const mean = meanRow(data.subarray(0, 1000 * DIM), DIM);
      expect(manifest.graphMean).toHaveLength(DIM);
      expect(manifest.graphMean![0]).toBeCloseTo(mean[0]!, 5);
      expect(manifest.graphMean![DIM - 1]).toBeCloseTo(mean[DIM - 1]!, 5);
      // Reopened (mapped, as workers open it): queries centred on the same mean, the same recall.
      const shared = new EmbeddedBackend({ dataDir: dir, mode: 'shared' });
      await shared.init();
      expect(await recall(shared, 8)).toBe(eight);
      await shared.close();
    } finally {
      cleanup();
    }
  }, 120_000);

  it('finds more with the signs taken around the mean than around 0, on data off the origin', () => {
    const shape = { dimension: DIM, metric: 'L2' as const, index: params };
    const centred = new HnswIndex(shape);
    const raw = new HnswIndex(shape, { kind: 'b1', mean: new Float32Array(DIM) });
    centred.add(0, data);
    raw.add(0, data);
    const graphRecall = (g: HnswIndex) => {
      let found = 0;
      for (let qi = 0; qi < 100; qi++) {
        const keys = Array.from(g.search(row(queries, qi), 128).keys.slice(0, 80), Number);
        found += truth[qi]!.filter((id) => keys.includes(Number(id.slice(1)))).length;
      }
      return found / 1000;
    };
    const [around, aroundZero] = [graphRecall(centred), graphRecall(raw)];
    console.log(
      `b1 ${DIM}-d: true top 10 among 80 candidates: ${aroundZero} around 0, ${around} around the mean`,
    );
    expect(around).toBeGreaterThan(aroundZero);
  });

  it('refuses b1 for a dimension that is not a multiple of 8 (400 naming it)', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const b = new EmbeddedBackend({ dataDir: dir, mode: 'writable' });
      await b.init();
      const { app } = createApp({
        backend: b,
        options: appOptions(testConfig({ allowUnauthenticated: true })),
        logger: silentLogger,
      });
      const res = await postJson(app, '/v1/collections', {
        name: 'odd',
        dimension: 12,
        index: { quantization: 'b1' },
      });
      expect(res.status).toBe(400);
      expect((await body(res)).detail).toMatch(
        /"b1" packs 8 dimensions a byte: the dimension must be a multiple of 8, got 12/,
      );
      const ok = await postJson(app, '/v1/collections', {
        name: 'even',
        dimension: 16,
        index: { quantization: 'b1', oversampling: 8 },
      });
      expect(ok.status).toBe(201);
      expect((await body(ok)).index).toMatchObject({ quantization: 'b1', oversampling: 8 });
      await b.close();
    } finally {
      cleanup();
    }
  });
});
