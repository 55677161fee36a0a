/**
 * Runs every operation the Milvus backend relies on against a live server and
 * prints one line per operation (ok / FAILED: reason), as JSON with --json.
 * docs/milvus-compat.md records what it printed for each server we tried.
 *
 *   node --import tsx deploy/milvus/compat-probe.ts 127.0.0.1:19530 [--json]
 */
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';

const address = process.argv[2] ?? '127.0.0.1:19530';
const asJson = process.argv.includes('--json');
const DIM = 8;
const name = `compat_probe_${process.pid}`;
const results: { op: string; ok: boolean; detail: string }[] = [];

const client = new MilvusClient({
  address,
  timeout: 10_000,
  // Python gRPC servers answer idle keepalive pings with GOAWAY (too_many_pings).
  channelOptions: {
    'grpc.keepalive_time_ms': 5 * 60_000,
    'grpc.keepalive_permit_without_calls': 0,
  },
});

function check(res: unknown): string {
  const r = res as {
    error_code?: string;
    status?: { error_code?: string; reason?: string };
    reason?: string;
  };
  const code = r?.error_code ?? r?.status?.error_code;
  if (code && code !== 'Success') throw new Error(`${code}: ${r.reason ?? r.status?.reason ?? ''}`);
  return '';
}

async function probe(op: string, fn: () => Promise<string | undefined>) {
  try {
    const detail = (await fn()) ?? '';
    results.push({ op, ok: true, detail });
  } catch (err) {
    results.push({ op, ok: false, detail: (err as Error).message.split('\n')[0]!.slice(0, 160) });
  }
}

const vec = (i: number) => Array.from({ length: DIM }, (_, d) => Math.sin(i * 7 + d));

async function main() {
  await probe('checkHealth', async () => {
    const h = await client.checkHealth();
    if (!h.isHealthy) throw new Error(JSON.stringify(h));
    return 'healthy';
  });
  await probe('createCollection (VarChar pk, FloatVector, VarChar, Double)', async () =>
    check(
      await client.createCollection({
        collection_name: name,
        fields: [
          { name: 'id', data_type: DataType.VarChar, is_primary_key: true, max_length: 64 },
          { name: 'embedding', data_type: DataType.FloatVector, dim: DIM },
          { name: 'category', data_type: DataType.VarChar, max_length: 16 },
          { name: 'price', data_type: DataType.Double },
        ],
      }),
    ),
  );
  await probe('insert 200 rows', async () => {
    const data = Array.from({ length: 200 }, (_, i) => ({
      id: `r${i}`,
      embedding: vec(i),
      category: 'ABCD'[i % 4],
      price: i,
    }));
    const r = await client.insert({ collection_name: name, data });
    check(r);
    return `insert_cnt=${r.insert_cnt}`;
  });
  await probe('flushSync', async () => check(await client.flushSync({ collection_names: [name] })));
  await probe('createIndex HNSW M=16 efConstruction=200 L2', async () =>
    check(
      await client.createIndex({
        collection_name: name,
        field_name: 'embedding',
        index_type: 'HNSW',
        metric_type: 'L2',
        params: { M: 16, efConstruction: 200 },
      }),
    ),
  );
  await probe('describeIndex', async () => {
    const r = await client.describeIndex({ collection_name: name, field_name: 'embedding' });
    check(r);
    return JSON.stringify(r.index_descriptions?.[0]?.params ?? []).slice(0, 120);
  });
  await probe('loadCollectionSync', async () =>
    check(await client.loadCollectionSync({ collection_name: name })),
  );
  await probe('getLoadState', async () =>
    String((await client.getLoadState({ collection_name: name })).state),
  );
  await probe('search nq=1 with ef, output_fields [id, category]', async () => {
    const r = await client.search({
      collection_name: name,
      data: [vec(3)],
      limit: 3,
      metric_type: 'L2',
      anns_field: 'embedding',
      params: { ef: 64 },
      output_fields: ['id', 'category'],
    });
    check(r);
    const top = r.results[0] as { id: string } | undefined;
    if (top?.id !== 'r3') throw new Error(`top hit ${JSON.stringify(top)}`);
    return `top=${top.id}`;
  });
  await probe('search returns the primary key when output_fields omits it', async () => {
    const r = await client.search({
      collection_name: name,
      data: [vec(3)],
      limit: 1,
      metric_type: 'L2',
      anns_field: 'embedding',
      output_fields: ['category'],
    });
    if (!(r.results[0] as { id?: string })?.id)
      throw new Error(`hit without id: ${JSON.stringify(r.results[0])}`);
    return '';
  });
  await probe('search limit=100 (no ef) returns 100 hits', async () => {
    const r = await client.search({
      collection_name: name,
      data: [vec(5)],
      limit: 100,
      metric_type: 'L2',
      anns_field: 'embedding',
      output_fields: ['id'],
    });
    if (r.results.length !== 100) throw new Error(`${r.results.length} hits`);
    return '';
  });
  await probe(
    'filtered search returns every match (price in [10,50): 40 rows, limit 100)',
    async () => {
      const r = await client.search({
        collection_name: name,
        data: [vec(5)],
        limit: 100,
        metric_type: 'L2',
        anns_field: 'embedding',
        filter: 'price >= 10 and price < 50',
        output_fields: ['id'],
      });
      if (r.results.length !== 40) throw new Error(`${r.results.length} hits`);
      return '';
    },
  );
  await probe('per-request ef changes a filtered result (ef=400)', async () => {
    const r = await client.search({
      collection_name: name,
      data: [vec(5)],
      limit: 100,
      metric_type: 'L2',
      anns_field: 'embedding',
      filter: 'price >= 10 and price < 50',
      params: { ef: 400 },
      output_fields: ['id'],
    });
    return `${r.results.length} hits`;
  });
  await probe('getVersion', async () => JSON.stringify(await client.getVersion()).slice(0, 80));
  await probe('search nq=3 (one call)', async () => {
    const r = await client.search({
      collection_name: name,
      data: [vec(1), vec(2), vec(3)],
      limit: 2,
      metric_type: 'L2',
      anns_field: 'embedding',
    });
    check(r);
    const lists = r.results as unknown as { id: string }[][];
    if (!Array.isArray(lists[0]) || lists.length !== 3) throw new Error('not one list per query');
    return lists.map((l) => l[0]?.id).join(',');
  });
  for (const [label, filter] of [
    ['==', "category == 'A'"],
    ['in', "category in ['A', 'B']"],
    ['range', 'price >= 10 and price < 50'],
    ['!= and not in', "category != 'A' and category not in ['B']"],
    ['escaped quote', "category == 'A\\' or category != \\''"],
  ] as const) {
    await probe(`filtered search (${label})`, async () => {
      const r = await client.search({
        collection_name: name,
        data: [vec(5)],
        limit: 50,
        metric_type: 'L2',
        anns_field: 'embedding',
        filter,
        output_fields: ['category', 'price'],
      });
      check(r);
      return `${r.results.length} hits`;
    });
  }
  await probe('upsert', async () => {
    check(
      await client.upsert({
        collection_name: name,
        data: [{ id: 'r1', embedding: vec(999), category: 'Z', price: 1 }],
      }),
    );
    return '';
  });
  await probe('query by id after upsert', async () => {
    const r = await client.query({
      collection_name: name,
      filter: "id in ['r1']",
      output_fields: ['category'],
    });
    check(r);
    if (r.data[0]?.category !== 'Z') throw new Error(JSON.stringify(r.data));
    return 'sees upserted row';
  });
  await probe('delete by ids', async () => {
    const r = await client.delete({ collection_name: name, ids: ['r2', 'r3'] });
    check(r);
    return `delete_cnt=${r.delete_cnt}`;
  });
  await probe('count(*) after delete', async () => {
    const r = await client.count({ collection_name: name });
    return `count=${r.data}`;
  });
  await probe('describeCollection', async () => {
    const r = await client.describeCollection({ collection_name: name });
    check(r);
    return r.schema.fields.map((f) => `${f.name}:${f.data_type}`).join(' ');
  });
  await probe('createPartition', async () =>
    check(await client.createPartition({ collection_name: name, partition_name: 'p1' })),
  );
  await probe(
    'showCollections',
    async () => `${(await client.showCollections()).data.length} collections`,
  );
  await probe('dropCollection', async () =>
    check(await client.dropCollection({ collection_name: name })),
  );

  if (asJson) console.log(JSON.stringify({ address, results }, null, 2));
  else
    for (const r of results)
      console.log(`${r.ok ? 'ok    ' : 'FAILED'} ${r.op}${r.detail ? ` — ${r.detail}` : ''}`);
  await client.closeConnection();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
