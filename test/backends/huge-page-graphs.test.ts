import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EmbeddedBackend } from '../../src/backends/embedded/embedded-backend.ts';
import { EmbeddedCollection } from '../../src/backends/embedded/embedded-collection.ts';
import {
  copyToHugePages,
  hugePageCopy,
  hugePagesProblem,
} from '../../src/backends/embedded/huge-page-graphs.ts';
import { currentSnapshot, readManifest } from '../../src/backends/embedded/snapshot.ts';
import type { CollectionSpec, Row } from '../../src/core/types.ts';
import { SyntheticVectors } from '../../src/data/synthetic-vectors.ts';
import { tempDir } from '../helpers.ts';

function fakeSnapshot(root: string, name: string, bytes: Buffer): string {
  const snap = join(root, 'collections', 'items', name);
  mkdirSync(snap, { recursive: true });
  writeFileSync(join(snap, 'index.usearch'), bytes);
  return join(snap, 'index.usearch');
}

describe('copyToHugePages', () => {
  it('makes a whole copy once, and drops the copies of older snapshots and of dead writers, not newer ones', async () => {
    const store = tempDir();
    const huge = tempDir();
    try {
      const first = fakeSnapshot(store.dir, 'snap-1', Buffer.from('graph one'));
      expect(hugePageCopy(first, huge.dir)).toBeNull();
      const mapped = await copyToHugePages(first, huge.dir);
      expect(mapped.fallback).toBeUndefined();
      expect(mapped.path.startsWith(huge.dir)).toBe(true);
      expect(hugePageCopy(first, huge.dir)).toBe(mapped.path);
      expect(readFileSync(mapped.path, 'utf8')).toBe('graph one');
      const inode = statSync(mapped.path).ino;
      expect(statSync((await copyToHugePages(first, huge.dir)).path).ino).toBe(inode); // not again

      // Half-written copies: one by a process that died (removed), one by this live one (kept).
      const prefix = readdirSync(huge.dir)[0]!.split('-')[0];
      writeFileSync(join(huge.dir, `${prefix}-snap-0.usearch.tmp-999999999-x`), 'half');
      writeFileSync(join(huge.dir, `${prefix}-snap-0.usearch.tmp-${process.pid}-y`), 'half');
      const second = fakeSnapshot(store.dir, 'snap-2', Buffer.from('graph two, longer'));
      const next = await copyToHugePages(second, huge.dir);
      expect(readFileSync(next.path, 'utf8')).toBe('graph two, longer');
      const afterSecond = [
        `${prefix}-snap-0.usearch.tmp-${process.pid}-y`,
        `${prefix}-snap-2.usearch`,
      ];
      expect(readdirSync(huge.dir).sort()).toEqual(afterSecond.sort());

      // A reader still on the older snapshot copies it again, but leaves the newer copy alone.
      await copyToHugePages(first, huge.dir);
      expect(readdirSync(huge.dir).sort()).toEqual(
        [...afterSecond, `${prefix}-snap-1.usearch`].sort(),
      );

      // Another data directory's collection of the same name keeps its own copy.
      const other = tempDir();
      try {
        const theirs = await copyToHugePages(
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

  // Mounting needs root and kernel THP: the real tmpfs behaviour the copy is written for.
  it.runIf(process.getuid?.() === 0 && existsSync('/sys/kernel/mm/transparent_hugepage'))(
    'on a tmpfs mounted huge=within_size, the copy is on 2 MiB pages (one made by copyFile was not)',
    async () => {
      const store = tempDir();
      const mount = tempDir();
      const hugePages = () =>
        Number(/ShmemHugePages:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'))![1]) * 1024;
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m,huge=within_size', 'tmpfs', mount.dir]);
      try {
        const graph = fakeSnapshot(store.dir, 'snap-1', Buffer.alloc(20 << 20, 7));
        const before = hugePages();
        const copy = await copyToHugePages(graph, mount.dir);
        expect(copy.fallback).toBeUndefined();
        expect(readFileSync(copy.path).equals(readFileSync(graph))).toBe(true);
        // 20 MiB: 10 huge pages, all within the file's size.
        expect(hugePages() - before).toBeGreaterThanOrEqual(18 << 20);
        expect(hugePagesProblem(mount.dir, readFileSync('/proc/mounts', 'utf8'))).toBeNull();
      } finally {
        execFileSync('umount', [mount.dir]);
        mount.cleanup();
        store.cleanup();
      }
    },
  );

  it('removes its copy when the snapshot was removed while it was copied (a drop meanwhile)', async () => {
    const store = tempDir();
    const huge = tempDir();
    try {
      const graph = fakeSnapshot(store.dir, 'snap-1', Buffer.alloc(64 << 20, 1));
      const copying = copyToHugePages(graph, huge.dir);
      // Once the copy is under way (its file exists), what a drop does first.
      await expect.poll(() => readdirSync(huge.dir).length, { interval: 1 }).toBe(1);
      rmSync(join(store.dir, 'collections'), { recursive: true });
      const mapped = await copying;
      expect(mapped.fallback).toMatch(/removed while it was copied/);
      expect(readdirSync(huge.dir)).toEqual([]);
    } finally {
      store.cleanup();
      huge.cleanup();
    }
  });

  it('resolves to the store file, saying why, when the directory cannot take the copy', async () => {
    const store = tempDir();
    try {
      const path = fakeSnapshot(store.dir, 'snap-1', Buffer.from('graph'));
      const mapped = await copyToHugePages(path, join(store.dir, 'no-such-dir'));
      expect(mapped.path).toBe(path);
      expect(mapped.fallback).toMatch(/no-such-dir.*ENOENT/);
      expect(hugePageCopy(path, join(store.dir, 'no-such-dir'))).toBeNull();
    } finally {
      store.cleanup();
    }
  });
});

describe('a shared collection with a huge pages directory', () => {
  it('maps the store until its copy is made, then the copy, with the same answers; a second open maps the copy at once', async () => {
    const store = tempDir();
    const huge = tempDir();
    try {
      const DIM = 16;
      const gen = new SyntheticVectors({ dimension: DIM, seed: 5, clusters: 4, spread: 1 });
      const writer = new EmbeddedBackend({ dataDir: store.dir, mode: 'writable' });
      await writer.init();
      await writer.createCollection({ name: 'items', dimension: DIM, metric: 'L2', fields: [] });
      await writer.write(
        'items',
        Array.from({ length: 800 }, (_, i) => ({
          id: `r${i}`,
          vector: Array.from(gen.next()),
          fields: {},
        })),
        { mode: 'insert' },
      );
      await writer.close();
      const dir = join(store.dir, 'collections', 'items');
      const snapshotDir = join(dir, currentSnapshot(dir)!);
      const open = () =>
        EmbeddedCollection.open(
          dir,
          snapshotDir,
          readManifest(snapshotDir),
          'shared',
          2048,
          true,
          huge.dir,
        );
      const params = { topK: 5, filter: [], outputFields: [] };
      const qs = Array.from({ length: 10 }, () => gen.next());

      const c = open();
      expect(c.mappedGraph?.path).toBe(join(snapshotDir, 'index.usearch'));
      const before = qs.map((q) => c.search([q], params));
      const mapped = await c.graphCopy!;
      expect(mapped.fallback).toBeUndefined();
      expect(c.mappedGraph?.path).toBe(mapped.path);
      expect(mapped.path.startsWith(huge.dir)).toBe(true);
      expect(qs.map((q) => c.search([q], params))).toEqual(before);

      const second = open();
      expect(second.mappedGraph?.path).toBe(mapped.path);
      expect(second.graphCopy).toBeNull();
      expect(qs.map((q) => second.search([q], params))).toEqual(before);
      c.close();
      second.close();
    } finally {
      store.cleanup();
      huge.cleanup();
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
      // While the copy is made (the threads map the store's file), and after.
      const during = await Promise.all(queries.map((q) => copied.search('items', [q], opts)));
      await expect
        .poll(() => readdirSync(huge.dir).filter((f) => f.endsWith('.usearch')))
        .toHaveLength(1);
      const after = await Promise.all(queries.map((q) => copied.search('items', [q], opts)));
      expect(during).toEqual(expected);
      expect(after).toEqual(expected);
      expect(copied.searchesRun.threads).toBe(2 * queries.length);
      expect(warnings.some((w) => /graphs will not get huge pages: .* not a tmpfs/.test(w))).toBe(
        true,
      );
      // The process and both threads opened the same snapshot: one copy between them.
      await expect.poll(() => readdirSync(huge.dir)).toHaveLength(1);
      const copies = readdirSync(huge.dir);
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
      await expect.poll(() => readdirSync(huge.dir).some((f) => f.includes(snapshot))).toBe(false);
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
      await expect
        .poll(() => readdirSync(huge.dir).filter((f) => f.endsWith('.usearch')))
        .toHaveLength(2);
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
