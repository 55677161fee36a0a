import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { EmbeddedBackend } from '../../src/backends/embedded/embedded-backend.ts';
import { EmbeddedCollection } from '../../src/backends/embedded/embedded-collection.ts';
import { currentSnapshot, readManifest } from '../../src/backends/embedded/snapshot.ts';
import { SyntheticVectors } from '../../src/data/synthetic-vectors.ts';
import { tempDir } from '../helpers.ts';

// A copy that is gone by the time it is mapped (a reader of a newer snapshot dropped it).
vi.mock('../../src/backends/embedded/huge-page-graphs.ts', async (original) => ({
  ...(await original<typeof import('../../src/backends/embedded/huge-page-graphs.ts')>()),
  copyToHugePages: async () => ({ path: '/nonexistent/vecserve-copy.usearch' }),
}));

describe('a huge-page copy that vanished before it was mapped', () => {
  it('leaves the graph mapped from the store, every row still found (a failed usearch view empties the index)', async () => {
    const store = tempDir();
    const huge = tempDir();
    try {
      const DIM = 8;
      const gen = new SyntheticVectors({ dimension: DIM, seed: 6, clusters: 4, spread: 1 });
      const rows = Array.from({ length: 300 }, (_, i) => ({
        id: `r${i}`,
        vector: Array.from(gen.next()),
        fields: {},
      }));
      const writer = new EmbeddedBackend({ dataDir: store.dir, mode: 'writable' });
      await writer.init();
      await writer.createCollection({ name: 'items', dimension: DIM, metric: 'L2', fields: [] });
      await writer.write('items', rows, { mode: 'insert' });
      await writer.close();
      const dir = join(store.dir, 'collections', 'items');
      const snapshotDir = join(dir, currentSnapshot(dir)!);
      const c = EmbeddedCollection.open(
        dir,
        snapshotDir,
        readManifest(snapshotDir),
        'shared',
        0, // no exact scan of small sets: every search walks the graph
        true,
        huge.dir,
      );
      const mapped = await c.graphCopy!;
      expect(mapped.path).toBe(join(snapshotDir, 'index.usearch'));
      expect(mapped.fallback).toMatch(/vecserve-copy\.usearch: No such file/);
      expect(c.mappedGraph?.path).toBe(join(snapshotDir, 'index.usearch'));
      for (const r of rows.slice(0, 50)) {
        const [hits] = c.search([Float32Array.from(r.vector)], {
          topK: 1,
          filter: [],
          outputFields: [],
        });
        expect(hits![0]?.id).toBe(r.id);
      }
      c.close();
    } finally {
      store.cleanup();
      huge.cleanup();
    }
  });
});
