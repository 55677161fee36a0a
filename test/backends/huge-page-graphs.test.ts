import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EmbeddedBackend } from '../../src/backends/embedded/embedded-backend.ts';
import { graphToMap, hugePagesProblem } from '../../src/backends/embedded/huge-page-graphs.ts';
import type { CollectionSpec, Row } from '../../src/core/types.ts';
import { SyntheticVectors } from '../../src/data/synthetic-vectors.ts';
import { tempDir } from '../helpers.ts';

function fakeSnapshot(root: string, name: string, bytes: Buffer): string {
  const snap = join(root, 'collections', 'items', name);
  mkdirSync(snap, { recursive: true });
  writeFileSync(join(snap, 'index.usearch'), bytes);
  return join(snap, 'index.usearch');
}

describe('graphToMap', () => {
  it('maps a whole copy, made once, and drops the copies of older snapshots and of dead writers', () => {
    const store = tempDir();
    const huge = tempDir();
    try {
      const first = fakeSnapshot(store.dir, 'snap-1', Buffer.from('graph one'));
      const mapped = graphToMap(first, huge.dir);
      expect(mapped.fallback).toBeUndefined();
      expect(mapped.path.startsWith(huge.dir)).toBe(true);
      expect(readFileSync(mapped.path, 'utf8')).toBe('graph one');
      const inode = statSync(mapped.path).ino;
      expect(statSync(graphToMap(first, huge.dir).path).ino).toBe(inode); // not copied again

      // Half-written copies: one by a process that died (removed), one by this live one (kept).
      const prefix = readdirSync(huge.dir)[0]!.split('-')[0];
      writeFileSync(join(huge.dir, `${prefix}-snap-0.usearch.tmp-999999999-x`), 'half');
      writeFileSync(join(huge.dir, `${prefix}-snap-0.usearch.tmp-${process.pid}-y`), 'half');
      const second = fakeSnapshot(store.dir, 'snap-2', Buffer.from('graph two, longer'));
      const next = graphToMap(second, huge.dir);
      expect(readFileSync(next.path, 'utf8')).toBe('graph two, longer');
      expect(readdirSync(huge.dir).sort()).toEqual(
        [`${prefix}-snap-0.usearch.tmp-${process.pid}-y`, `${prefix}-snap-2.usearch`].sort(),
      );

      // Another data directory's collection of the same name keeps its own copy.
      const other = tempDir();
      try {
        const theirs = graphToMap(
          fakeSnapshot(other.dir, 'snap-2', Buffer.from('theirs')),
          huge.dir,
        );
        expect(theirs.path).not.toBe(next.path);
        expect(readFileSync(next.path, 'utf8')).toBe('graph two, longer');
      } finally {
        other.cleanup();
      }
    } finally {
      store.cleanup();
      huge.cleanup();
    }
  });

  it('maps the store file, saying why, when the directory cannot take the copy', () => {
    const store = tempDir();
    try {
      const path = fakeSnapshot(store.dir, 'snap-1', Buffer.from('graph'));
      const mapped = graphToMap(path, join(store.dir, 'no-such-dir'));
      expect(mapped.path).toBe(path);
      expect(mapped.fallback).toMatch(/no-such-dir.*ENOENT/);
      expect(graphToMap(path, undefined)).toEqual({ path });
    } finally {
      store.cleanup();
    }
  });
});

describe('hugePagesProblem', () => {
  const mounts = [
    '/dev/vda / ext4 rw,relatime 0 0',
    'tmpfs /dev/shm tmpfs rw,nosuid,nodev 0 0',
    'tmpfs /mnt/huge tmpfs rw,relatime,size=2097152k,huge=within_size 0 0',
    'tmpfs /mnt/huge/plain tmpfs rw,relatime,huge=never 0 0',
    'tmpfs /mnt/always tmpfs rw,huge=always 0 0',
  ].join('\n');

  it('accepts a tmpfs with huge=within_size or always, by the deepest mount covering the path', () => {
    expect(hugePagesProblem('/mnt/huge', mounts)).toBeNull();
    expect(hugePagesProblem('/mnt/huge/graphs', mounts)).toBeNull();
    expect(hugePagesProblem('/mnt/always/x', mounts)).toBeNull();
  });

  it('says what is wrong otherwise', () => {
    expect(hugePagesProblem('/var/lib/graphs', mounts)).toMatch(/on ext4 \(\/\), not a tmpfs/);
    expect(hugePagesProblem('/dev/shm', mounts)).toMatch(
      /huge=never: mount it with huge=within_size/,
    );
    expect(hugePagesProblem('/mnt/huge/plain/g', mounts)).toMatch(
      /\/mnt\/huge\/plain .*huge=never/,
    );
    expect(hugePagesProblem('/mnt/hugely', mounts)).toMatch(/on ext4/); // a prefix is not a parent
  });
});

describe('an embedded backend with a huge pages directory', () => {
  const DIM = 16;
  const spec: CollectionSpec = { name: 'items', dimension: DIM, metric: 'L2', fields: [] };
  const gen = new SyntheticVectors({ dimension: DIM, seed: 4, clusters: 8, spread: 1 });
  const rows = (from: number, n: number): Row[] =>
    Array.from({ length: n }, (_, i) => ({
      id: `r${from + i}`,
      vector: Array.from(gen.next()),
      fields: {},
    }));
  const queries = Array.from({ length: 20 }, () => gen.next());

  it('answers from the copy as from the store, keeps one copy per collection, and warns that a plain directory gives no huge pages', async () => {
    const store = tempDir();
    const huge = tempDir();
    const warnings: string[] = [];
    const logger = {
      info() {},
      error() {},
      warn: (_: object, msg: string) => void warnings.push(msg),
    };
    try {
      const writer = new EmbeddedBackend({
        dataDir: store.dir,
        mode: 'writable',
        checkpointRows: 500,
      });
      await writer.init();
      await writer.createCollection(spec);
      await writer.write('items', rows(0, 1500), { mode: 'insert' });
      await writer.close();

      const plain = new EmbeddedBackend({ dataDir: store.dir, mode: 'shared' });
      const copied = new EmbeddedBackend({
        dataDir: store.dir,
        mode: 'shared',
        searchThreads: 2,
        hugePagesDir: huge.dir,
        logger,
      });
      await plain.init();
      await copied.init();
      const opts = { topK: 10, filter: [], outputFields: [] };
      const expected = await Promise.all(queries.map((q) => plain.search('items', [q], opts)));
      const got = await Promise.all(queries.map((q) => copied.search('items', [q], opts)));
      expect(got).toEqual(expected);
      expect(copied.searchesRun.threads).toBe(queries.length);
      expect(warnings.some((w) => /graphs will not get huge pages: .* not a tmpfs/.test(w))).toBe(
        true,
      );
      // Both threads opened the same snapshot: one copy between them.
      const copies = readdirSync(huge.dir);
      expect(copies).toHaveLength(1);
      const snapshot = readFileSync(
        join(store.dir, 'collections', 'items', 'CURRENT'),
        'utf8',
      ).trim();
      expect(copies[0]).toMatch(new RegExp(`-${snapshot}\\.usearch$`));
      await plain.close();
      await copied.close();

      // A newer snapshot: the first reader to map it replaces the older copy.
      const again = new EmbeddedBackend({
        dataDir: store.dir,
        mode: 'writable',
        checkpointRows: 500,
      });
      await again.init();
      await again.write('items', rows(1500, 600), { mode: 'insert' });
      await again.close();
      const reader = new EmbeddedBackend({
        dataDir: store.dir,
        mode: 'shared',
        hugePagesDir: huge.dir,
        logger,
      });
      await reader.init();
      await reader.search('items', [queries[0]!], opts);
      const newer = readFileSync(join(store.dir, 'collections', 'items', 'CURRENT'), 'utf8').trim();
      expect(newer).not.toBe(snapshot);
      expect(readdirSync(huge.dir)).toEqual([
        expect.stringMatching(new RegExp(`-${newer}\\.usearch$`)),
      ]);
      await reader.close();
    } finally {
      store.cleanup();
      huge.cleanup();
    }
  });

  it("drops a collection's copies with the collection: tmpfs memory is not left behind", async () => {
    const store = tempDir();
    const huge = tempDir();
    try {
      const first = new EmbeddedBackend({ dataDir: store.dir, mode: 'writable' });
      await first.init();
      await first.createCollection(spec);
      await first.createCollection({ ...spec, name: 'kept' });
      await first.write('items', rows(0, 300), { mode: 'insert' });
      await first.write('kept', rows(300, 300), { mode: 'insert' });
      await first.close();
      const b = new EmbeddedBackend({
        dataDir: store.dir,
        mode: 'writable',
        searchThreads: 1,
        hugePagesDir: huge.dir,
      });
      await b.init();
      const opts = { topK: 3, filter: [], outputFields: [] };
      await b.search('items', [queries[0]!], opts);
      await b.search('kept', [queries[0]!], opts);
      expect(b.searchesRun.threads).toBe(2);
      expect(readdirSync(huge.dir)).toHaveLength(2);
      await b.dropCollection('items');
      const left = readdirSync(huge.dir);
      expect(left).toHaveLength(1);
      expect((await b.search('kept', [queries[0]!], opts))[0]).toHaveLength(3);
      expect(readdirSync(huge.dir)).toEqual(left);
      await b.close();
    } finally {
      store.cleanup();
      huge.cleanup();
    }
  });

  it('refuses a directory that does not exist, saying what to do', () => {
    const store = tempDir();
    try {
      expect(
        () =>
          new EmbeddedBackend({
            dataDir: store.dir,
            mode: 'shared',
            hugePagesDir: join(store.dir, 'nope'),
          }),
      ).toThrow(/does not exist: mount a tmpfs there with huge=within_size/);
    } finally {
      store.cleanup();
    }
  });
});
