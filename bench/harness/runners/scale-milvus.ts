import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMilvusClient } from '../../../src/backends/milvus/milvus-pool.ts';
import { openMilvusBackend } from '../../../src/backends/milvus/open-milvus-backend.ts';
import { loadConfig } from '../../../src/config/load-config.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { milvusOptions } from '../../../src/server/compose.ts';
import {
  httpSweep,
  recallCurve,
  type ScaleFigures,
  type ScaleOptions,
  scaleDataFor,
  scaleRows,
} from './scale.ts';
import { SCALE_COLLECTION, scaleSpec } from './scale-data.ts';

/** RSS of a process and all its descendants (the PyPI launcher runs the server as a child). */
function treeRssBytes(root: number): number {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,rss='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number) as [number, number, number]);
  const inTree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of rows) {
      if (inTree.has(ppid) && !inTree.has(pid)) {
        inTree.add(pid);
        grew = true;
      }
    }
  }
  return rows.filter(([pid]) => inTree.has(pid)).reduce((a, [, , rss]) => a + rss * 1024, 0);
}

export interface MilvusScaleFigures {
  server: string;
  index: string;
  insertSeconds: number;
  insertsPerSecond: number;
  /** flush, then Milvus's own HNSW build over every sealed segment. */
  indexBuildSeconds: number;
  /** `milvus.sh down`, `up`, until a search of the collection answers. */
  restartToFirstSearchSeconds: number;
  serverRssBytes: number;
  recall: ScaleFigures['recall'];
  http: ScaleFigures['http'];
}

/**
 * The same 1M x 512 rows, queries and ground truth in a real Milvus 2.3.5
 * standalone (from PyPI, started by deploy/milvus/milvus.sh), HNSW with the
 * embedded backend's parameters (M 16, efConstruction 200), written through
 * vecserve's Milvus backend and searched through its HTTP API.
 */
export async function runMilvusScale(opts: ScaleOptions): Promise<MilvusScaleFigures> {
  const port = 19_700;
  const env = {
    ...process.env,
    MILVUS_PORT: String(port),
    MILVUS_HOME: join(opts.workDir, 'milvus'),
  };
  const milvus = (action: string) =>
    execFileSync('bash', ['deploy/milvus/milvus.sh', action], { env, encoding: 'utf8' });
  const data = scaleDataFor(opts);
  opts.log(milvus('up').trim());
  const address = `127.0.0.1:${port}`;
  const config = loadConfig({
    env: { BACKEND: 'milvus', MILVUS_ADDRESS: address, LOG_LEVEL: 'warn' },
  });
  const logger = createLogger('warn');
  const backend = await openMilvusBackend(milvusOptions(config), logger);
  const sdk = createMilvusClient(address, {
    separateConnection: true,
    sdkPoolMax: 1,
    timeoutMs: 600_000,
  });
  try {
    if ((await backend.listCollections()).includes(SCALE_COLLECTION)) {
      await backend.dropCollection(SCALE_COLLECTION);
    }
    // Milvus stores float32 vectors: the quantization is the default, f32.
    await backend.createCollection(scaleSpec(opts.dimension));
    const t0 = performance.now();
    let done = 0;
    for (const rows of scaleRows(data, opts.rows, opts.dimension)) {
      await backend.write(
        SCALE_COLLECTION,
        rows.map((r) => ({ ...r, vector: Array.from(r.vector) })),
        {
          mode: 'insert',
        },
      );
      done += rows.length;
      if (done % 100_000 === 0)
        opts.log(`  milvus: ${done} rows in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
    const insertSeconds = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    await backend.flush(SCALE_COLLECTION);
    for (;;) {
      const d = await sdk.describeIndex({ collection_name: SCALE_COLLECTION });
      const idx = d.index_descriptions[0]!;
      if (Number(idx.indexed_rows) >= opts.rows && Number(idx.pending_index_rows) === 0) break;
      if (idx.state === 'Failed')
        throw new Error(`Milvus index build failed: ${idx.index_state_fail_reason}`);
      await new Promise((r) => setTimeout(r, 2000));
    }
    const indexBuildSeconds = (performance.now() - t1) / 1000;
    opts.log(
      `  milvus: inserted in ${insertSeconds.toFixed(0)} s, indexed ${indexBuildSeconds.toFixed(0)} s later`,
    );
    // Reload, so that the searches run on the indexed segments.
    await sdk.releaseCollection({ collection_name: SCALE_COLLECTION });
    await sdk.loadCollectionSync({ collection_name: SCALE_COLLECTION, timeout: 600_000 });
    const recall = await recallCurve(backend, data, opts, 'milvus');
    const pid = Number(
      readFileSync(join(opts.workDir, 'milvus', `standalone-${port}`, 'server.pid'), 'utf8'),
    );
    const serverRssBytes = treeRssBytes(pid);
    const http = await httpSweep({ BACKEND: 'milvus', MILVUS_ADDRESS: address }, data, opts);
    await backend.close();
    await sdk.closeConnection();
    // Restart: stop, start, then until a search answers (Milvus loads the collection itself).
    milvus('down');
    const t2 = performance.now();
    milvus('up');
    const again = await openMilvusBackend(milvusOptions(config), logger);
    const q = data.queries.subarray(0, opts.dimension);
    for (;;) {
      try {
        await again.search(SCALE_COLLECTION, [q], { topK: 10, filter: [], outputFields: [] });
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    const restartToFirstSearchSeconds = (performance.now() - t2) / 1000;
    await again.close();
    return {
      server: 'Milvus 2.3.5 standalone (PyPI `milvus`)',
      index: 'HNSW M 16, efConstruction 200 (the embedded parameters, so recall and QPS compare)',
      insertSeconds,
      insertsPerSecond: opts.rows / insertSeconds,
      indexBuildSeconds,
      restartToFirstSearchSeconds,
      serverRssBytes,
      recall,
      http,
    };
  } finally {
    milvus('down');
  }
}
