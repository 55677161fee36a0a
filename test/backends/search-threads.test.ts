import { cpSync } from 'node:fs';
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
      expect(threaded.searchesRun).toEqual({
        threads: 80,
        loop: 0,
        threadFailures: 0,
        threadStale: 0,
      });
      await main.close();
      await threaded.close();
    } finally {
      cleanup();
    }
  });

  it('search fresh writes beside the snapshot: inserts, upserts and deletes since it answer exactly as the event loop does', async () => {
    const dirs = [tempDir(), tempDir()];
    try {
      // One snapshot, copied: a graph built with several threads is not the same twice, and
      // two graphs could answer an approximate search differently.
      const first = new EmbeddedBackend({ dataDir: dirs[0]!.dir, mode: 'writable' });
      await first.init();
      await first.createCollection(spec);
      await first.write('items', rows.slice(0, 1000), { mode: 'insert' });
      await first.close(); // the snapshot the thread opens
      cpSync(dirs[0]!.dir, dirs[1]!.dir, { recursive: true });
      // The same writes on both copies: one searches on its event loop, one on a thread.
      const [loop, threaded] = [
        new EmbeddedBackend({ dataDir: dirs[0]!.dir, mode: 'writable' }),
        new EmbeddedBackend({ dataDir: dirs[1]!.dir, mode: 'writable', searchThreads: 1 }),
      ];
      const both = async (fn: (b: EmbeddedBackend) => Promise<unknown>) => {
        for (const b of [loop, threaded]) await fn(b);
      };
      await both((b) => b.init());
      // Since the snapshot: new rows, rows of the snapshot replaced by new vectors, deletes of
      // both snapshot rows and fresh ones.
      await both((b) => b.write('items', rows.slice(1000, 1400), { mode: 'insert' }));
      const moved = rows.slice(0, 50).map((r, i) => ({ ...r, vector: rows[1900 + i]!.vector }));
      await both((b) => b.write('items', moved, { mode: 'upsert' }));
      const gone = [...rows.slice(100, 140), ...rows.slice(1200, 1230)].map((r) => r.id!);
      await both((b) => b.delete('items', gone));
      const filter = parseFilter({ tag: { in: ['t1', 't3'] }, n: { gte: 100 } }, spec.fields);
      const probes = [
        ...queries,
        ...rows.slice(1000, 1010).map((r) => Float32Array.from(r.vector)), // fresh rows
        ...rows.slice(1900, 1910).map((r) => Float32Array.from(r.vector)), // moved rows
        ...rows.slice(100, 110).map((r) => Float32Array.from(r.vector)), // deleted rows
      ];
      // The writer adds the writes to its graph and the thread searches the snapshot's: two
      // graphs, so the walks go wide enough (ef past the 1,400 rows) to be exact in both, or
      // a row one walk reaches and the other does not differs by luck (1 CI run in ~10).
      for (const opts of [
        { topK: 10, filter: [], outputFields: [], ef: 2048 },
        { topK: 5, filter, outputFields: ['tag', 'n'], ef: 2048 },
      ]) {
        const [a, b] = await Promise.all([
          Promise.all(probes.map((q) => loop.search('items', [q], opts))),
          Promise.all(probes.map((q) => threaded.search('items', [q], opts))),
        ]);
        expect(b).toEqual(a);
        // The rows written since the snapshot are found, and deleted ones are not.
        const firsts = b.map((hits) => hits[0]![0]?.id);
        if (opts.filter.length === 0) {
          expect(firsts.slice(40, 50)).toEqual(rows.slice(1000, 1010).map((r) => r.id));
          expect(firsts.slice(50, 60)).toEqual(rows.slice(0, 10).map((r) => r.id));
        }
        const ids = b.flat(2).map((h) => h.id);
        for (const id of gone) expect(ids).not.toContain(id);
      }
      expect(threaded.searchesRun).toEqual({
        threads: 2 * probes.length,
        loop: 0,
        threadFailures: 0,
        threadStale: 0,
      });
      await both((b) => b.close());
    } finally {
      for (const d of dirs) d.cleanup();
    }
  });

  it('skip rows deleted since the snapshot, however many, and fill topK past them', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const b = new EmbeddedBackend({
        dataDir: dir,
        mode: 'writable',
        searchThreads: 1,
        checkpointRows: 1_000_000,
        checkpointBytes: 1 << 30,
        compactRemovedShare: 1,
      });
      await b.init();
      await b.createCollection(spec);
      await b.write('items', rows, { mode: 'insert' });
      await b.flush('items');
      const q = Float32Array.from(rows[1500]!.vector);
      const opts = { topK: 20, filter: [], outputFields: [] };
      const before = (await b.search('items', [q], opts))[0]!.map((h) => h.id);
      // Every row of the first answer but its best, and 1,500 others, deleted since the snapshot.
      const gone = new Set([...before.slice(1), ...rows.slice(0, 1500).map((r) => r.id!)]);
      await b.delete('items', [...gone]);
      const after = (await b.search('items', [q], opts))[0]!.map((h) => h.id);
      expect(after).toHaveLength(20);
      expect(after[0]).toBe('r1500');
      expect(after.filter((id) => gone.has(id))).toEqual([]);
      // The event loop's answer over the same rows (its graph has the deletes removed).
      const reopened = new EmbeddedBackend({ dataDir: dir, mode: 'writable' });
      await b.close();
      await reopened.init();
      expect((await reopened.search('items', [q], opts))[0]!.map((h) => h.id)).toEqual(after);
      expect(b.searchesRun).toMatchObject({ threads: 2, loop: 0, threadStale: 0 });
      await reopened.close();
    } finally {
      cleanup();
    }
  });
});

describe('search threads on a quantized graph', () => {
  it('take the per-request oversampling (b1: every hit rescored from oversampling x topK candidates)', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const b1 = { ...spec, index: { quantization: 'b1' as const } };
      const plain = new EmbeddedBackend({ dataDir: dir, mode: 'writable' });
      await plain.init();
      await plain.createCollection(b1);
      await plain.write('items', rows, { mode: 'insert' });
      await plain.close();
      const main = new EmbeddedBackend({ dataDir: dir, mode: 'shared' });
      const threaded = new EmbeddedBackend({ dataDir: dir, mode: 'shared', searchThreads: 1 });
      await main.init();
      await threaded.init();
      const answers = async (b: EmbeddedBackend, oversampling: number) =>
        Promise.all(
          queries.map((q) =>
            b.search('items', [q], { topK: 10, filter: [], outputFields: [], oversampling }),
          ),
        );
      const few = await answers(threaded, 1);
      const many = await answers(threaded, 16);
      expect(few).toEqual(await answers(main, 1));
      expect(many).toEqual(await answers(main, 16));
      expect(many).not.toEqual(few); // the setting changes the answer, so it was taken
      expect(threaded.searchesRun).toMatchObject({ threads: 80, loop: 0 });
      await main.close();
      await threaded.close();
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
