import { demoRows } from '../../../src/data/demo-collection.ts';
import { exactKnnL2, meanRecall } from '../analysis/recall.ts';
import type { TargetInfo } from './target.ts';

/**
 * Ground truth for the demo collection: its rows are generated from a fixed
 * seed, so the harness regenerates them and finds each held-out query's exact
 * neighbours by brute force. Another dataset needs its own ground truth file.
 */
export function demoGroundTruth(
  target: TargetInfo,
  queries: Float32Array[],
  k: number,
): string[][] {
  if (target.metric !== 'L2')
    throw new Error(`ground truth is computed for L2 only (collection metric ${target.metric})`);
  const base: Float32Array[] = [];
  const ids: string[] = [];
  for (const rows of demoRows(target.count, target.dimension)) {
    for (const r of rows) {
      base.push(Float32Array.from(r.vector));
      ids.push(String(r.id));
    }
  }
  return exactKnnL2(base, ids, queries, k);
}

/** recall@k of what the server returns for the queries at a given ef. */
export async function measureRecall(
  target: TargetInfo,
  queries: Float32Array[],
  truth: string[][],
  k: number,
  ef?: number,
): Promise<number> {
  const served: string[][] = [];
  for (const q of queries) {
    const res = await fetch(
      `${target.url}/v1/collections/${encodeURIComponent(target.collection)}/search`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ vector: Array.from(q), topK: k, ...(ef ? { params: { ef } } : {}) }),
      },
    );
    if (!res.ok) throw new Error(`search answered ${res.status}: ${await res.text()}`);
    const body = (await res.json()) as { hits: { id: string }[] };
    served.push(body.hits.map((h) => h.id));
  }
  return meanRecall(served, truth, k);
}
