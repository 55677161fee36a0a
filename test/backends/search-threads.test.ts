import { describe, expect, it } from 'vitest';
import { EmbeddedBackend } from '../../src/backends/embedded/embedded-backend.ts';
import { parseFilter } from '../../src/core/filter.ts';
import type { CollectionSpec, Row } from '../../src/core/types.ts';
import { SyntheticVectors } from '../../src/data/synthetic-vectors.ts';
import { tempDir } from '../helpers.ts';

const DIM = 24;
const spec: CollectionSpec = {
  name: 'items',
  dimension: DIM,
  metric: 'L2',
  fields: [
    { name: 'tag', type: 'string' },
    { name: 'n', type: 'int' },
  ],
};
const gen = new SyntheticVectors({ dimension: DIM, seed: 9, clusters: 16, spread: 1 });
const rows: Row[] = Array.from({ length: 2000 }, (_, i) => ({
  id: `r${i}`,
  vector: Array.from(gen.next()),
  fields: { tag: `t${i % 7}`, n: i },
}));
const queries = Array.from({ length: 40 }, () => gen.next());

describe('search threads', () => {
  it('answer every search exactly as the event loop thread does, filters and fields included', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const plain = new EmbeddedBackend({ dataDir: dir, mode: 'writable' });
      await plain.init();
      await plain.createCollection(spec);
      await plain.write('items', rows, { mode: 'insert' });
      await plain.close();
      const main = new EmbeddedBackend({ dataDir: dir, mode: 'shared' });
      await main.init();
      const threaded = new EmbeddedBackend({ dataDir: dir, mode: 'shared', searchThreads: 2 });
      await threaded.init();
      const filter = parseFilter({ tag: { in: ['t1', 't3'] }, n: { gte: 100 } }, spec.fields);
      for (const opts of [
        { topK: 10, filter: [], outputFields: [] },
        { topK: 5, filter, outputFields: ['tag', 'n'], ef: 128 },
      ]) {
        // Concurrent, distinct queries: each answer must be its own query's.
        const [a, b] = await Promise.all([
          Promise.all(queries.map((q) => main.search('items', [q], opts))),
          Promise.all(queries.map((q) => threaded.search('items', [q], opts))),
        ]);
        expect(b).toEqual(a);
      }
      expect(threaded.searchesRun).toEqual({ threads: 80, loop: 0, threadFailures: 0 });
      await main.close();
      await threaded.close();
    } finally {
      cleanup();
    }
  });

  it('never answer from a stale snapshot: writes are searched on the loop until the next checkpoint', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const b = new EmbeddedBackend({ dataDir: dir, mode: 'writable', searchThreads: 1 });
      await b.init();
      await b.createCollection(spec);
      await b.write('items', rows.slice(0, 500), { mode: 'insert' });
      await b.flush('items');
      const target = rows[1000]!;
      const q = Float32Array.from(target.vector);
      const opts = { topK: 1, filter: [], outputFields: [] };
      expect((await b.search('items', [q], opts))[0]![0]!.id).not.toBe('r1000');
      await b.write('items', [target], { mode: 'insert' }); // not yet in a snapshot
      expect((await b.search('items', [q], opts))[0]![0]!.id).toBe('r1000');
      await b.delete('items', ['r1000']);
      expect((await b.search('items', [q], opts))[0]![0]!.id).not.toBe('r1000');
      expect(b.searchesRun).toMatchObject({ threads: 1, loop: 2 });
      await b.flush('items'); // a new snapshot: the threads open it
      expect((await b.search('items', [q], opts))[0]![0]!.id).not.toBe('r1000');
      expect(b.searchesRun).toEqual({ threads: 2, loop: 2, threadFailures: 0 });
      await b.close();
    } finally {
      cleanup();
    }
  });
});

describe('closing search threads', () => {
  it('waits for a thread to leave its native search (terminating inside one aborts the process)', async () => {
    const { spawnSync } = await import('node:child_process');
    const { dir, cleanup } = tempDir();
    try {
      const r = spawnSync(
        process.execPath,
        ['--import', 'tsx', 'test/fixtures/threads-close.ts', dir],
        {
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
      expect(r.stderr).not.toContain('terminate called');
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/closed; \d+ queued searches refused/);
    } finally {
      cleanup();
    }
  }, 90_000);
});
