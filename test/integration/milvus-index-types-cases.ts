/**
 * Every Milvus index type through the API on a real Milvus: created, described
 * (type, build parameters, search default) and searched with its own search
 * parameter; another type's parameter is a 400 naming the index; a collection
 * created elsewhere (with the SDK, as pymilvus or Attu would) with IVF_SQ8 and
 * its own field names is served with the same answers as a direct search; and
 * one created by pymilvus itself (pinned venv), searched with nprobe as the
 * scenario's Python code does, gives pymilvus's answers through the API.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyntheticVectors } from '../../src/data/synthetic-vectors.ts';
import { startServer } from '../../src/server/compose.ts';
import type { RunningServer } from '../../src/server/http-server.ts';
import { body, silentLogger, tempDir, testConfig } from '../helpers.ts';

const DIM = 16;
const ROWS = 600;
const gen = new SyntheticVectors({ dimension: DIM, seed: 11, clusters: 8 });
const vectors = Array.from({ length: ROWS }, () => Array.from(gen.next()));
const tag = `${process.pid}`;

/**
 * Registered by milvus.test.ts, which runs every test on the shared Milvus in
 * order (its last test stops and restarts that server).
 */
export function indexTypeCases(address: string | null): void {
  describe.skipIf(address === null)('Milvus index types through the API', () => {
    const { dir, cleanup } = tempDir();
    let running: RunningServer;
    let direct: MilvusClient;
    const made: string[] = [];
    const post = (path: string, payload: unknown) =>
      fetch(`${running.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
      });

    beforeAll(async () => {
      running = await startServer(
        testConfig({
          backend: 'milvus',
          milvusAddress: address!,
          dataDir: dir,
          demoCollection: '',
          timeoutSeconds: 10,
          milvusPoolAcquireTimeoutSeconds: 1,
        }),
        silentLogger,
      );
      direct = new MilvusClient({ address: address! });
    }, 60_000);

    afterAll(async () => {
      for (const name of made)
        await direct.dropCollection({ collection_name: name }).catch(() => undefined);
      await direct.closeConnection();
      await running?.close();
      cleanup();
    });

    const cases = [
      { type: 'FLAT', index: {}, param: null, describe: {} },
      {
        type: 'IVF_FLAT',
        index: { nlist: 32 },
        param: { nprobe: 32 },
        describe: { nlist: 32, nprobe: 16 },
      },
      {
        type: 'IVF_SQ8',
        index: { nlist: 32, nprobe: 8 },
        param: { nprobe: 32 },
        describe: { nlist: 32, nprobe: 8 },
      },
      {
        type: 'IVF_PQ',
        index: { nlist: 16, m: 4, nbits: 8 },
        param: { nprobe: 16 },
        describe: { nlist: 16, m: 4, nbits: 8 },
      },
      {
        type: 'HNSW',
        index: { M: 8, efConstruction: 64, efSearch: 32 },
        param: { ef: 64 },
        describe: { M: 8, efConstruction: 64, efSearch: 32 },
      },
    ] as const;

    for (const c of cases) {
      it(`${c.type}: created, described and searched with its own parameter; another type's is a 400`, async () => {
        const name = `idx_${c.type.toLowerCase()}_${tag}`;
        made.push(name);
        const created = await post('/v1/collections', {
          name,
          dimension: DIM,
          metric: 'L2',
          index: { type: c.type, ...c.index },
        });
        expect(created.status, JSON.stringify(await created.clone().json())).toBe(201);
        for (let i = 0; i < ROWS; i += 200) {
          const rows = vectors.slice(i, i + 200).map((v, j) => ({ id: `r${i + j}`, vector: v }));
          expect((await post(`/v1/collections/${name}/vectors`, { rows })).status).toBe(200);
        }
        const info = await body(fetch(`${running.url}/v1/collections/${name}`));
        expect(info.index).toMatchObject({ type: c.type, ...c.describe });
        // A stored row's own vector finds that row first (every type here is exact
        // enough on 600 rows with these parameters).
        const q = vectors[123]!;
        const res = await post(`/v1/collections/${name}/search`, {
          vector: q,
          topK: 5,
          ...(c.param ? { params: c.param } : {}),
        });
        expect(res.status).toBe(200);
        const found = await body(res);
        expect(found.hits).toHaveLength(5);
        expect(found.hits[0].id).toBe('r123');
        // A parameter of another index type is refused, naming this one.
        const wrong = c.type === 'HNSW' ? { nprobe: 8 } : { ef: 64 };
        const refused = await post(`/v1/collections/${name}/search`, {
          vector: q,
          topK: 5,
          params: wrong,
        });
        expect(refused.status).toBe(400);
        expect((await body(refused)).detail).toContain(`has a ${c.type} index`);
      }, 120_000);
    }

    it("refuses build parameters of another index type before asking Milvus, and a type Milvus cannot build with Milvus's reason", async () => {
      const mixed = await post('/v1/collections', {
        name: `idx_mixed_${tag}`,
        dimension: DIM,
        index: { type: 'IVF_SQ8', M: 16 },
      });
      expect(mixed.status).toBe(400);
      expect((await body(mixed)).detail).toMatch(/index\.M is a parameter of HNSW, not of IVF_SQ8/);
      const pq = await post('/v1/collections', {
        name: `idx_pq_${tag}`,
        dimension: DIM,
        index: { type: 'IVF_PQ', m: 5 },
      });
      expect(pq.status).toBe(400);
      expect((await body(pq)).detail).toMatch(/index\.m \(5\) must divide the dimension \(16\)/);
      // DISKANN: whatever this Milvus says, the answer is a clear 4xx or a working index, never a 5xx.
      const name = `idx_diskann_${tag}`;
      made.push(name);
      const disk = await post('/v1/collections', {
        name,
        dimension: DIM,
        index: { type: 'DISKANN' },
      });
      const problem = (await disk.clone().json()) as { detail?: string };
      expect(disk.status, JSON.stringify(problem)).toBeLessThan(500);
      if (disk.status === 201) {
        expect((await body(fetch(`${running.url}/v1/collections/${name}`))).index).toMatchObject({
          type: 'DISKANN',
          searchList: 100,
        });
      } else expect(problem.detail).toMatch(/DISKANN|disk/i);
    }, 120_000);

    it('serves a collection created elsewhere (IVF_SQ8, its own field names) with the answers a direct nprobe search gives', async () => {
      const name = `byo_ivf_sq8_${tag}`;
      made.push(name);
      await direct.createCollection({
        collection_name: name,
        fields: [
          { name: 'item_id', data_type: DataType.Int64, is_primary_key: true },
          { name: 'embedding', data_type: DataType.FloatVector, dim: DIM },
          { name: 'category', data_type: DataType.VarChar, max_length: 8 },
        ],
      });
      await direct.insert({
        collection_name: name,
        data: vectors.map((v, i) => ({ item_id: i, embedding: v, category: 'ABCD'[i % 4]! })),
      });
      await direct.flushSync({ collection_names: [name] });
      await direct.createIndex({
        collection_name: name,
        field_name: 'embedding',
        index_type: 'IVF_SQ8',
        metric_type: 'L2',
        params: { nlist: 16 },
      });
      await direct.loadCollectionSync({ collection_name: name });

      const info = await body(fetch(`${running.url}/v1/collections/${name}`));
      expect(info).toMatchObject({
        name,
        dimension: DIM,
        fields: [{ name: 'category', type: 'string' }],
        index: { type: 'IVF_SQ8', nlist: 16, nprobe: 16 },
      });
      const q = vectors[42]!;
      const api = await body(
        post(`/v1/collections/${name}/search`, {
          vector: q,
          topK: 10,
          params: { nprobe: 4 },
          outputFields: ['category'],
        }),
      );
      const sdk = await direct.search({
        collection_name: name,
        data: [q],
        limit: 10,
        metric_type: 'L2',
        params: { nprobe: 4 },
        output_fields: ['item_id'],
      });
      expect(api.hits.map((h: { id: string }) => h.id)).toEqual(
        (sdk.results as unknown as { item_id: string | number }[]).map((r) => String(r.item_id)),
      );
      expect(api.hits[0]).toMatchObject({ id: '42', fields: { category: 'C' } });
    }, 120_000);

    it("serves a collection pymilvus created (IVF_SQ8, nprobe 10, as the scenario's Python does) with pymilvus's answers", async () => {
      const name = `pymilvus_ivf_sq8_${tag}`;
      made.push(name);
      const queries = vectors.slice(100, 120).map((v) => v.map((x) => x + 0.01));
      const file = join(dir, 'pymilvus-data.json');
      writeFileSync(file, JSON.stringify({ vectors, queries, nprobe: 10, limit: 10 }));
      // The pinned pymilvus venv (deploy/milvus/pymilvus-venv.sh), then the scenario's own calls.
      const python = (await run('bash', ['deploy/milvus/pymilvus-venv.sh'])).trim();
      const answers = JSON.parse(
        await run(python, ['test/integration/pymilvus_collection.py', address!, name, file]),
      ) as { id: string; distance: number }[][];
      expect(answers).toHaveLength(queries.length);
      const info = await body(fetch(`${running.url}/v1/collections/${name}`));
      expect(info).toMatchObject({
        dimension: DIM,
        fields: [{ name: 'brand', type: 'string' }],
        index: { type: 'IVF_SQ8', nlist: 32 },
      });
      for (const [i, q] of queries.entries()) {
        const api = await body(
          post(`/v1/collections/${name}/search`, { vector: q, topK: 10, params: { nprobe: 10 } }),
        );
        expect(
          api.hits.map((h: { id: string }) => h.id),
          `query ${i}`,
        ).toEqual(answers[i]!.map((h) => h.id));
        for (const [j, h] of api.hits.entries())
          expect(h.distance).toBeCloseTo(answers[i]![j]!.distance, 4);
      }
    }, 300_000);
  });

  /** Runs a program from the repo's root; its stdout, or a failure with its stderr. */
  function run(command: string, args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        command,
        args,
        { cwd: join(import.meta.dirname, '../..'), timeout: 280_000, maxBuffer: 16 << 20 },
        (err, stdout, stderr) =>
          err
            ? reject(new Error(`${command} ${args.join(' ')}: ${err.message}\n${stderr}`))
            : resolve(stdout),
      );
    });
  }
}
