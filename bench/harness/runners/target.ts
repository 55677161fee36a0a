import { DEMO_CATEGORIES } from '../../../src/data/demo-collection.ts';
import { heldOutVectors } from '../../lib/query-bodies.ts';

/** What the harness knows of the collection it loads: from GET /v1/collections/:name. */
export interface TargetInfo {
  url: string;
  collection: string;
  dimension: number;
  count: number;
  metric: string;
  index: Record<string, unknown> | null;
  fields: { name: string; type: string }[];
  backend: string | null;
}

export async function describeTarget(url: string, collection: string): Promise<TargetInfo> {
  const base = url.replace(/\/$/, '');
  let res: Response;
  try {
    res = await fetch(`${base}/v1/collections/${encodeURIComponent(collection)}`, {
      signal: AbortSignal.timeout(5000),
    });
  } catch (err) {
    throw new Error(
      `cannot reach ${base}: ${(err as Error).message} (is the server running? npm start)`,
    );
  }
  if (!res.ok)
    throw new Error(
      `GET /v1/collections/${collection} answered ${res.status}: ${await res.text()}`,
    );
  // biome-ignore lint/suspicious/noExplicitAny: the API's collection description
  const info: any = await res.json();
  let backend: string | null = null;
  try {
    // biome-ignore lint/suspicious/noExplicitAny: /v1/stats body
    backend = ((await (await fetch(`${base}/v1/stats`)).json()) as any).backend ?? null;
  } catch {
    backend = null;
  }
  return {
    url: base,
    collection,
    dimension: info.dimension,
    count: info.count,
    metric: info.metric,
    index: info.index ?? null,
    fields: info.fields ?? [],
    backend,
  };
}

export type Scenario = 'search' | 'filtered' | 'batch';

export interface QuerySet {
  path: Record<Scenario, string>;
  bodies: Record<Scenario, string[]>;
  batchSize: number;
}

/** Pre-serialized bodies for each scenario, so the generator spends no time on JSON. */
export function buildQueries(
  target: TargetInfo,
  opts: { count?: number; topK?: number; ef?: number; batchSize?: number } = {},
): QuerySet {
  const count = opts.count ?? 1000;
  const topK = opts.topK ?? 10;
  const batchSize = opts.batchSize ?? 10;
  const vectors = heldOutVectors(count, target.dimension).map((v) => Array.from(v));
  const extra = opts.ef ? { params: { ef: opts.ef } } : {};
  const hasCategory = target.fields.some((f) => f.name === 'category');
  const base = `/v1/collections/${encodeURIComponent(target.collection)}`;
  return {
    path: { search: `${base}/search`, filtered: `${base}/search`, batch: `${base}/search/batch` },
    batchSize,
    bodies: {
      search: vectors.map((vector) => JSON.stringify({ vector, topK, ...extra })),
      filtered: vectors.map((vector, i) =>
        JSON.stringify({
          vector,
          topK,
          ...extra,
          ...(hasCategory
            ? { filter: { category: DEMO_CATEGORIES[i % DEMO_CATEGORIES.length] } }
            : {}),
        }),
      ),
      batch: vectors.map((_, i) =>
        JSON.stringify({
          vectors: Array.from({ length: batchSize }, (_, j) => vectors[(i + j) % vectors.length]),
          topK,
          ...extra,
        }),
      ),
    },
  };
}
