/**
 * The int8 graph's learned scale: usearch maps x to int8 as x * 127 clamped
 * to [-1, 1], so unit vectors of a few hundred dimensions used a few of the 8
 * bits. A scale learned from the first rows (a high quantile of |component|)
 * gives the graph its bits back; it is kept with the snapshot, so a reopened
 * graph (mapped or loaded, in a search thread too) compares queries in the
 * units it was built in.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EmbeddedBackend } from '../../src/backends/embedded/embedded-backend.ts';
import { HnswIndex, learnInt8Scale } from '../../src/backends/embedded/hnsw-index.ts';
import type { IndexParams } from '../../src/core/types.ts';
import { tempDir } from '../helpers.ts';
import {
  currentManifest,
  DIM,
  exactTop10,
  l2,
  row,
  rowsOf,
  unitVectors,
  writeAll,
} from './quantization-fixtures.ts';

const N = 3000;
const data = unitVectors(N, 5);
const queries = unitVectors(100, 77);
/** Exact top 10 of every query. */
const truth = exactTop10(data, queries);

const params: IndexParams = { M: 16, efConstruction: 64, efSearch: 32, quantization: 'i8' };

/** The i8 collection every test here writes. */
const SPEC = { name: 'items', dimension: DIM, metric: 'L2' as const, fields: [], index: params };

/** Writes every row of `data` to a new SPEC collection in `dir`, snapshots it and closes. */
async function writtenStore(
  dir: string,
  options: Partial<ConstructorParameters<typeof EmbeddedBackend>[0]> = {},
): Promise<void> {
  const b = new EmbeddedBackend({ dataDir: dir, mode: 'writable', ...options });
  await b.init();
  await b.createCollection(SPEC);
  await writeAll(b, data, N);
  await b.flush('items');
  await b.close();
}

/** recall@10 of the graph alone (no rescoring) at ef 32. */
function graphRecall(index: HnswIndex): number {
  let found = 0;
  for (let qi = 0; qi < 100; qi++) {
    const keys = Array.from(index.search(row(queries, qi), 32).keys.slice(0, 10), Number);
    found += keys.filter((k) => truth[qi]!.includes(k)).length;
  }
  return found / 1000;
}

/**
 * recall@10 of the collection's answers (rescored) over the live rows: `truth` when
 * every row is live, an exact scan of the live ones otherwise.
 */
async function searchRecall(b: EmbeddedBackend, live?: (i: number) => boolean): Promise<number> {
  let found = 0;
  for (let qi = 0; qi < 100; qi++) {
    const [hits] = await b.search('items', [row(queries, qi)], {
      topK: 10,
      filter: [],
      outputFields: [],
    });
    const want = live
      ? Array.from({ length: N }, (_, i) => i)
          .filter(live)
          .map((i) => ({ i, d: l2(row(data, i), row(queries, qi)) }))
          .sort((x, y) => x.d - y.d)
          .slice(0, 10)
          .map((x) => `r${x.i}`)
      : truth[qi]!.map((i) => `r${i}`);
    found += hits!.filter((h) => want.includes(h.id)).length;
  }
  return found / 1000;
}

describe('the int8 scale learned from the data', () => {
  it('maps the 99.99th percentile of |component| to 1, and leaves zero or absent rows at 1', () => {
    const s = learnInt8Scale(data, DIM);
    const sorted = Array.from(data, Math.abs).sort((a, b) => a - b);
    const q = sorted[Math.floor(0.9999 * sorted.length)]!;
    // Learned from a sample of whole rows: within 2% of the quantile over every component.
    expect(Math.abs(s * q - 1)).toBeLessThan(0.02);
    // All rows given: that quantile exactly.
    const few = data.subarray(0, 200 * DIM);
    const fewSorted = Array.from(few, Math.abs).sort((a, b) => a - b);
    expect(learnInt8Scale(few, DIM)).toBeCloseTo(
      1 / fewSorted[Math.floor(0.9999 * fewSorted.length)]!,
      6,
    );
    // Components near 1/16 used under a fifth of int8's range; the scale stretches them several-fold.
    expect(s).toBeGreaterThan(3);
    expect(learnInt8Scale(new Float32Array(DIM), DIM)).toBe(1);
    expect(learnInt8Scale(new Float32Array(0), DIM)).toBe(1);
  });

  it("finds more of the true neighbours than usearch's own cast or a fixed x127, on the same rows", () => {
    const shape = { dimension: DIM, metric: 'L2' as const, index: params };
    const learned = new HnswIndex(shape);
    const fixed = new HnswIndex(shape, { kind: 'i8', scale: 1 });
    const byLength = new HnswIndex(shape, { kind: 'usearch-i8' });
    for (const g of [learned, fixed, byLength]) g.add(0, data);
    expect(learned.coding).toMatchObject({ kind: 'i8', scale: expect.any(Number) });
    expect((learned.coding as { scale: number }).scale).toBeGreaterThan(3);
    const [withScale, x127, usearchCast] = [learned, fixed, byLength].map(graphRecall);
    console.log(
      `i8 ${DIM}-d graph alone, ef 32: recall@10 ${usearchCast} usearch's by-length cast, ${x127} fixed x127, ${withScale} learned scale`,
    );
    expect(withScale).toBeGreaterThan(usearchCast! + 0.04);
    expect(withScale).toBeGreaterThan(x127!);
    expect(withScale).toBeGreaterThan(0.9);
  });

  it('keeps the scale with the snapshot: a reopened collection answers as before, and new rows join in the same units', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const ids = (hits: { id: string }[][]) => hits.map((h) => h.map((x) => x.id));
      const search = (b: EmbeddedBackend) =>
        b.search(
          'items',
          Array.from({ length: 20 }, (_, qi) => row(queries, qi)),
          { topK: 10, filter: [], outputFields: [] },
        );
      const a = new EmbeddedBackend({ dataDir: dir, mode: 'writable' });
      await a.init();
      await a.createCollection(SPEC);
      await writeAll(a, data, 1000);
      await a.flush('items');
      const before = ids(await search(a));
      await a.close();
      const { manifest } = currentManifest(dir);
      // Learned from the first rows the graph took (the first write), and kept since.
      expect(manifest.graphScale).toBeCloseTo(learnInt8Scale(data.subarray(0, 1000 * DIM), DIM), 6);
      expect(manifest.graphScale).toBeGreaterThan(3);

      // Mapped read-only (as workers open it), then writable: the same answers.
      const shared = new EmbeddedBackend({ dataDir: dir, mode: 'shared' });
      await shared.init();
      expect(ids(await search(shared))).toEqual(before);
      await shared.close();
      const b = new EmbeddedBackend({ dataDir: dir, mode: 'writable' });
      await b.init();
      expect(ids(await search(b))).toEqual(before);
      // Rows written after the reopen go into the loaded graph in its own units:
      // each is found first by its own vector once the tail is snapshotted.
      const fresh = unitVectors(50, 901);
      await b.write('items', rowsOf(fresh, 'n', 0, 50), { mode: 'insert' });
      await b.flush('items');
      const found = await b.search(
        'items',
        Array.from({ length: 50 }, (_, j) => row(fresh, j)),
        { topK: 1, filter: [], outputFields: [] },
      );
      expect(found.map((h) => h[0]?.id)).toEqual(Array.from({ length: 50 }, (_, j) => `n${j}`));
      await b.close();
    } finally {
      cleanup();
    }
  }, 120_000);

  it('changes no result order: rescored i8 answers are the exact ones, ids, order and distances', async () => {
    const { dir, cleanup } = tempDir();
    try {
      // No brute force: 3,000 rows go through the graph, as a large collection's do.
      const b = new EmbeddedBackend({ dataDir: dir, mode: 'writable', bruteForceLimit: 0 });
      await b.init();
      await b.createCollection({
        name: 'items',
        dimension: DIM,
        metric: 'L2',
        fields: [],
        index: { ...params, efSearch: 128, oversampling: 8 },
      });
      await writeAll(b, data, N);
      await b.flush('items');
      let complete = 0;
      for (let qi = 0; qi < 100; qi++) {
        const q = row(queries, qi);
        const [hits] = await b.search('items', [q], { topK: 10, filter: [], outputFields: [] });
        const want = truth[qi]!.map((i) => `r${i}`);
        const got = hits!.map((h) => h.id);
        for (const h of hits!)
          expect(h.distance).toBeCloseTo(l2(row(data, Number(h.id.slice(1))), q), 4);
        // Distances ascend: the answer is in exact order whatever the codes said.
        for (let i = 1; i < hits!.length; i++)
          expect(hits![i]!.distance).toBeGreaterThanOrEqual(hits![i - 1]!.distance);
        if (new Set(got).size === 10 && want.every((id) => got.includes(id))) {
          expect(got).toEqual(want); // the same rows come back in f32's exact order
          complete++;
        }
      }
      // Nearly every query finds its true top 10 through the i8 graph and rescoring.
      expect(complete).toBeGreaterThanOrEqual(90);
      await b.close();
    } finally {
      cleanup();
    }
  }, 120_000);

  it("int8Coding 'usearch' builds a new i8 collection with usearch's own cast, kept across a reopen", async () => {
    const { dir, cleanup } = tempDir();
    try {
      await writtenStore(dir, { int8Coding: 'usearch' });
      // No learned scale in its snapshot: the graph holds usearch's by-length codes.
      expect(currentManifest(dir).manifest).not.toHaveProperty('graphScale');
      // The same rows through the default (learned) coding, for comparison.
      const { dir: learnedDir, cleanup: cleanLearned } = tempDir();
      try {
        await writtenStore(learnedDir);
        expect(currentManifest(learnedDir).manifest.graphScale).toBeGreaterThan(3);
      } finally {
        cleanLearned();
      }
      // Reopened by a default backend, it is searched the way it was built (rescored: exact distances).
      const b = new EmbeddedBackend({ dataDir: dir, mode: 'writable' });
      await b.init();
      expect(await searchRecall(b)).toBeGreaterThan(0.7);
      await b.close();
    } finally {
      cleanup();
    }
  }, 120_000);

  it("reads an i8 snapshot written before learned scales with usearch's own cast, and compaction rebuilds it with a scale", async () => {
    const { dir, cleanup } = tempDir();
    try {
      await writtenStore(dir);
      // Make it the snapshot an earlier vecserve wrote: usearch's by-length codes, no graphScale.
      const { dir: snapshot, manifest } = currentManifest(dir);
      const legacy = new HnswIndex(
        { dimension: DIM, metric: 'L2', index: params },
        { kind: 'usearch-i8' },
      );
      legacy.add(0, data);
      legacy.save(join(snapshot, 'index.usearch'));
      const { graphScale, ...rest } = manifest;
      expect(graphScale).toBeGreaterThan(3);
      writeFileSync(join(snapshot, 'manifest.json'), JSON.stringify(rest));

      const b = new EmbeddedBackend({ dataDir: dir, mode: 'writable' });
      await b.init();
      // Queries coded the graph's way: a mismatch (learned-scale codes against by-length rows) finds little.
      expect(await searchRecall(b)).toBeGreaterThan(0.8);
      // Rows written into it are coded its way too: the next snapshot stays a by-length one.
      const fresh = unitVectors(10, 404);
      await b.write('items', rowsOf(fresh, 'f', 0, 10), { mode: 'insert' });
      await b.flush('items');
      const kept = currentManifest(dir);
      expect(kept.dir).not.toBe(snapshot);
      expect(kept.manifest).not.toHaveProperty('graphScale');
      await b.delete(
        'items',
        Array.from({ length: 10 }, (_, j) => `f${j}`),
      );
      // Deleting 40% compacts at the next checkpoint: the rebuilt graph learns a scale.
      await b.delete(
        'items',
        Array.from({ length: N }, (_, i) => i)
          .filter((i) => i % 5 < 2)
          .map((i) => `r${i}`),
      );
      await b.flush('items');
      expect(currentManifest(dir).manifest.graphScale).toBeGreaterThan(3);
      expect(await searchRecall(b, (i) => i % 5 >= 2)).toBeGreaterThan(0.85);
      await b.close();
    } finally {
      cleanup();
    }
  }, 120_000);
});
