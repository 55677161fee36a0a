import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScale, type ScaleOptions } from '../../bench/harness/runners/scale.ts';
import { EmbeddedBackend } from '../../src/backends/embedded/embedded-backend.ts';
import { tempDir } from '../helpers.ts';

/**
 * The scale benchmark's code paths at a size CI can afford: build, open in
 * fresh processes, two shared workers' memory, recall against exact ground
 * truth, HTTP levels through the real server, and a SIGKILL restart with the
 * log at its checkpoint limit. The 1M figures come from the same code.
 */
describe('bench scale (small)', () => {
  it('measures every figure of a quantization and cleans up its store', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const { runs } = await runScale({
        rows: 3000,
        dimension: 64,
        quantizations: ['i8', 'i8-usearch'],
        queries: 50,
        k: 10,
        efs: [16, 256],
        levels: [1, 4],
        levelSeconds: 1,
        searchThreads: [-1, 2],
        generator: 'wrk',
        workDir: dir,
        port: 18_433,
        log: () => {},
      });
      const r = runs[0]!;
      expect(r.quantization).toBe('i8');
      expect(r.insertsPerSecond).toBeGreaterThan(0);
      expect(r.recall.map((p) => p.ef)).toEqual([16, 256]);
      expect(r.recall[1]!.recall).toBeGreaterThan(r.recall[0]!.recall);
      expect(r.recall[1]!.recall).toBeGreaterThan(0.8);
      expect(r.memory.workers).toHaveLength(2);
      for (const w of r.memory.workers) expect(w.pss).toBeGreaterThan(0);
      // The sweep once per SEARCH_THREADS value, each level with the server's and the generator's CPU.
      expect(r.http.map((l) => [l.searchThreads, l.concurrency])).toEqual([
        [-1, 1],
        [-1, 4],
        [2, 1],
        [2, 4],
      ]);
      for (const l of r.http) expect(l.serverCpuPercent).toBeGreaterThan(0);
      for (const l of r.http) expect(l.generator).toBe('wrk');
      for (const l of r.http) expect(l.failureRate).toBe(0);
      expect(r.crashRestart.pendingRows).toBe(4095);
      expect(r.crashRestart.openMs).toBeLessThan(10_000);
      expect(r.crashRestart.closeExit).toBe(0); // the checkpoint after the replay succeeded
      expect(existsSync(join(dir, 'store-i8'))).toBe(false);
      // usearch's own int8 cast, built beside it for comparison: an i8 graph, labelled by its mode.
      expect(runs[1]).toMatchObject({ quantization: 'i8', mode: 'i8-usearch' });
      expect(r).not.toHaveProperty('mode');
      expect(existsSync(join(dir, 'store-i8-usearch'))).toBe(false);
    } finally {
      cleanup();
    }
  }, 120_000);

  it('keeps a store with its build record, and a later run searches it without building it again', async () => {
    const { dir, cleanup } = tempDir();
    const opts: ScaleOptions = {
      rows: 3000,
      dimension: 64,
      quantizations: ['b1'],
      queries: 50,
      k: 10,
      efs: [256],
      oversampling: [16],
      levels: [1],
      levelSeconds: 1,
      workDir: dir,
      port: 18_434,
      log: () => {},
    };
    try {
      const first = (await runScale({ ...opts, keepStores: true })).runs[0]!;
      const store = join(dir, 'store-b1');
      const record = JSON.parse(readFileSync(join(store, 'bench-build.json'), 'utf8'));
      expect(record).toMatchObject({ mode: 'b1', rows: 3000, dimension: 64, efConstruction: 200 });
      expect(record.buildSeconds).toBe(first.buildSeconds);
      expect(first).not.toHaveProperty('builtAt');
      // The restart measurement's rows were deleted again: the kept store holds the data set alone.
      const b = new EmbeddedBackend({ dataDir: store, mode: 'shared' });
      await b.init();
      expect((await b.describe('scale')).count).toBe(3000);
      await b.close();

      const logs: string[] = [];
      const again = (await runScale({ ...opts, reuseStores: true, log: (m) => logs.push(m) }))
        .runs[0]!;
      expect(logs.some((l) => l.includes('building'))).toBe(false);
      expect(again.builtAt).toBe(record.builtAt);
      expect(again.buildSeconds).toBe(first.buildSeconds);
      // Searched again in this run: the same store gives the same recall.
      expect(again.recall[0]!.recall).toBeCloseTo(first.recall[0]!.recall, 1);
      expect(again.http).toHaveLength(1);
      expect(again.http[0]!.generator).toBe('undici'); // none asked: this process's loop
      expect(again.http[0]!.failureRate).toBe(0);
      // How much of the raw vectors the page cache held, where util-linux's fincore is installed:
      // the recall curve had just read every query's candidates, so most of this small file.
      if (spawnSync('fincore', ['--version']).status === 0) {
        expect(again.http[0]!.vectorsCached).toBeGreaterThan(0.5);
        expect(again.http[0]!.vectorsCached).toBeLessThanOrEqual(1);
      }
      expect(existsSync(store)).toBe(true); // a reused store is kept again

      // Built for another breadth: built anew, not reused. With a huge-pages directory (a
      // plain one here: the same code path, 4 KiB pages) the graph is also searched from its
      // copy there, serially and through HTTP, each right after the store's.
      const huge = tempDir();
      try {
        const other = (
          await runScale({
            ...opts,
            efConstruction: 64,
            reuseStores: true,
            hugePagesDir: huge.dir,
            warmVectors: true,
          })
        ).runs[0]!;
        expect(other).not.toHaveProperty('builtAt');
        expect(other.http.map((l) => l.hugePages ?? false)).toEqual([false, true]);
        for (const l of other.http) expect(l.failureRate).toBe(0);
        expect(other.serialByMapping?.storeMs).toHaveLength(3);
        expect(other.serialByMapping?.hugePagesMs).toHaveLength(3);
        for (const ms of [...other.serialByMapping!.storeMs, ...other.serialByMapping!.hugePagesMs])
          expect(ms).toBeGreaterThan(0);
        // The server's search threads mapped the copy: one file, for the snapshot they searched.
        expect(readdirSync(huge.dir)).toEqual([expect.stringMatching(/-snap-.*\.usearch$/)]);
        if (spawnSync('fincore', ['--version']).status === 0) {
          for (const l of other.http) expect(l.vectorsCached).toBeGreaterThan(0.99); // read through
        }
      } finally {
        huge.cleanup();
      }
    } finally {
      cleanup();
    }
  }, 180_000);
});
