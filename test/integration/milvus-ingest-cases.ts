/**
 * Bulk loads into a real Milvus, stopped part-way and resumed: through
 * hand-encoded parallel inserts (with and without the checkpoint) and through
 * Milvus's bulk insert from .npy files. Every run ends with exactly the rows
 * asked for (a count with Strong consistency: a row written twice would count
 * twice), each id once, and the vectors the demo stream gives for them.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MilvusBackend } from '../../src/backends/milvus/milvus-backend.ts';
import { openMilvusBackend } from '../../src/backends/milvus/open-milvus-backend.ts';
import { demoColumns } from '../../src/data/demo-collection.ts';
import { type FillOptions, fillCollection } from '../../src/data/fill-collection.ts';
import { milvusOptions } from '../../src/server/compose.ts';
import { silentLogger, tempDir, testConfig } from '../helpers.ts';

const DIM = 16;
const SIZE = 6000;

class Stop extends Error {}

/**
 * Registered by milvus.test.ts, which runs every test on the shared Milvus in
 * order (its last test stops and restarts that server).
 */
export function ingestCases(address: string | null): void {
  describe.skipIf(address === null)('bulk loads into Milvus, stopped and resumed', () => {
    const { dir, cleanup } = tempDir();
    let backend: MilvusBackend;
    let direct: MilvusClient;
    const made: string[] = [];

    beforeAll(async () => {
      backend = (await openMilvusBackend(
        milvusOptions(testConfig({ backend: 'milvus', milvusAddress: address!, dataDir: dir })),
        silentLogger,
      )) as MilvusBackend;
      direct = new MilvusClient({ address: address! });
    }, 60_000);

    afterAll(async () => {
      for (const name of made)
        await direct.dropCollection({ collection_name: name }).catch(() => undefined);
      await direct.closeConnection();
      await backend?.close();
      cleanup();
    });

    const options = (name: string, extra: Partial<FillOptions>): FillOptions => ({
      name,
      size: SIZE,
      dimension: DIM,
      metric: 'L2',
      batch: 500,
      parallel: 4,
      index: { type: 'IVF_FLAT', nlist: 16 },
      checkpointFile: join(dir, `${name}.json`),
      ...extra,
    });

    const importOptions = (name: string) =>
      options(name, { via: 'import', batch: 2000, parallel: 1, importDir: join(dir, 'import') });

    /** Runs a load that stops (as a crash would) once `after` rows were acknowledged. */
    async function stopped(o: FillOptions, after: number): Promise<void> {
      await expect(
        fillCollection(backend, o, {
          progress: (done) => {
            if (done >= after) throw new Stop(`stopped at ${done}`);
          },
        }),
      ).rejects.toThrow(Stop);
    }

    async function expectExactly(name: string): Promise<void> {
      const counted = await direct.query({
        collection_name: name,
        filter: '',
        output_fields: ['count(*)'],
        consistency_level: 'Strong' as never,
      });
      expect(Number(counted.data[0]!['count(*)'])).toBe(SIZE);
      // A few ids across the range: present once, with the demo stream's vector.
      const wanted = [0, 1499, 2500, SIZE - 1];
      const rows = await direct.query({
        collection_name: name,
        filter: `id in [${wanted.map((i) => `"item-${i}"`).join(',')}]`,
        output_fields: ['id', 'embedding'],
        consistency_level: 'Strong' as never,
      });
      expect(rows.data.map((r) => r.id).sort()).toEqual(wanted.map((i) => `item-${i}`).sort());
      const expected = new Map<string, Float32Array>();
      for (const { first, columns } of demoColumns(SIZE, DIM, 500))
        for (const i of wanted)
          if (i >= first && i < first + columns.ids.length)
            expected.set(
              `item-${i}`,
              columns.vectors.slice((i - first) * DIM, (i - first + 1) * DIM),
            );
      for (const r of rows.data)
        expect(Float32Array.from(r.embedding as number[])).toEqual(expected.get(r.id as string));
    }

    it('encoded inserts: stopped with writes in flight, resumed from the checkpoint', async () => {
      const name = `ingest_ckpt_${process.pid}`;
      made.push(name);
      await stopped(options(name, {}), 2000);
      await fillCollection(backend, options(name, {}));
      await expectExactly(name);
    }, 180_000);

    it('encoded inserts: resumed without a checkpoint (from the count, upserting)', async () => {
      const name = `ingest_count_${process.pid}`;
      made.push(name);
      const o = options(name, {});
      await stopped(o, 3000);
      rmSync(o.checkpointFile!, { force: true });
      const resumedFrom: number[] = [];
      await fillCollection(backend, o, { resumed: (from) => resumedFrom.push(from) });
      expect(resumedFrom).toHaveLength(1);
      await expectExactly(name);
    }, 180_000);

    it('bulk insert from files: stopped after an import, resumed from the checkpoint', async () => {
      const name = `ingest_import_${process.pid}`;
      made.push(name);
      const o = importOptions(name);
      await stopped(o, 2000);
      await fillCollection(backend, o);
      await expectExactly(name);
    }, 240_000);

    it('an import cannot resume into rows it has no checkpoint for: refused with the reason', async () => {
      const name = `ingest_import_refused_${process.pid}`;
      made.push(name);
      const o = importOptions(name);
      await stopped(o, 2000);
      rmSync(o.checkpointFile!, { force: true });
      // The imported rows become visible after their index: wait for the count to show them.
      for (let i = 0; i < 60 && (await backend.describe(name)).count === 0; i++)
        await new Promise((r) => setTimeout(r, 1000));
      await expect(fillCollection(backend, o)).rejects.toThrow(/no checkpoint of an import/);
    }, 240_000);
  });
}
