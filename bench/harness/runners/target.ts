import { z } from 'zod';
import { DEMO_CATEGORIES, DEMO_SEED } from '../../../src/data/demo-collection.ts';
import { heldOutVectors } from '../../lib/query-bodies.ts';
import { mixBodies, parseQueryMix } from '../../lib/query-mix.ts';

/** What the harness knows of the collection it loads: from GET /v1/collections/:name. */
export const targetInfoSchema = z.object({
  url: z.string(),
  collection: z.string(),
  dimension: z.number(),
  count: z.number(),
  metric: z.string(),
  index: z.record(z.string(), z.unknown()).nullable(),
  fields: z.array(z.object({ name: z.string(), type: z.string() })),
  backend: z.string().nullable(),
});
export type TargetInfo = z.infer<typeof targetInfoSchema>;

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

export type Scenario = 'search' | 'filtered' | 'batch' | 'upsert';

/** Every scenario a load command can send. */
export const SCENARIOS: readonly Scenario[] = ['search', 'filtered', 'batch', 'upsert'];

/**
 * Distinct rows the `upsert` scenario writes (ids `bench-upsert-<n>`): past
 * this many writes it replaces them, as a catalogue updates its items.
 */
export const UPSERT_IDS = 1000;

export interface QuerySet {
  path: Record<Scenario, string>;
  /** The held-out bodies (recall and compiled generators read these). */
  bodies: Record<Scenario, string[]>;
  batchSize: number;
  /** Request i's body: bodies[i % n], or the mix's next draw when a mix is given. */
  body(scenario: Scenario, i: number): string;
  /** True when bodies come from a mix (compiled generators, which cycle a file, cannot send it). */
  mixed: boolean;
}

/**
 * Pre-serialized bodies for each scenario, so the generator spends no time on
 * JSON. With `mix` (--queries), request bodies follow the mix instead: rank r
 * searches held-out vector r mod count, nudged in one component by a small
 * amount that depends on r, so every rank is a distinct query as realistic as
 * the held-out ones, and the same rank always sends the same bytes.
 */
export function buildQueries(
  target: TargetInfo,
  opts: { count?: number; topK?: number; ef?: number; batchSize?: number; mix?: string } = {},
): QuerySet {
  const count = opts.count ?? 1000;
  const topK = opts.topK ?? 10;
  const batchSize = opts.batchSize ?? 10;
  const vectors = heldOutVectors(count, target.dimension).map((v) => Array.from(v));
  const extra = opts.ef ? { params: { ef: opts.ef } } : {};
  const hasCategory = target.fields.some((f) => f.name === 'category');
  const base = `/v1/collections/${encodeURIComponent(target.collection)}`;
  const searchBody = (vector: number[]) => JSON.stringify({ vector, topK, ...extra });
  const filteredBody = (vector: number[], i: number) =>
    JSON.stringify({
      vector,
      topK,
      ...extra,
      ...(hasCategory ? { filter: { category: DEMO_CATEGORIES[i % DEMO_CATEGORIES.length] } } : {}),
    });
  const batchBody = (at: (j: number) => number[]) =>
    JSON.stringify({ vectors: Array.from({ length: batchSize }, (_, j) => at(j)), topK, ...extra });
  // Written rows come from a seed of their own: never the queries, so none is found at distance 0.
  const rowVectors = heldOutVectors(UPSERT_IDS, target.dimension, DEMO_SEED + 2000);
  const upsertBody = (n: number) => {
    const at = n % UPSERT_IDS;
    // Every field is required: values of the field's type (a demo category where there is one).
    const fields = Object.fromEntries(
      target.fields.map((f) => [
        f.name,
        f.name === 'category' && f.type === 'string'
          ? DEMO_CATEGORIES[at % DEMO_CATEGORIES.length]
          : ({ string: `bench-${at}`, int: at, float: at / 10, bool: at % 2 === 0 } as const)[
              f.type as 'string'
            ],
      ]),
    );
    const row = { id: `bench-upsert-${at}`, vector: Array.from(rowVectors[at]!), ...fields };
    return JSON.stringify({ rows: [row], mode: 'upsert' });
  };
  const bodies: Record<Scenario, string[]> = {
    search: vectors.map(searchBody),
    filtered: vectors.map(filteredBody),
    batch: vectors.map((_, i) => batchBody((j) => vectors[(i + j) % vectors.length]!)),
    upsert: rowVectors.map((_, n) => upsertBody(n)),
  };
  const queries = {
    path: {
      search: `${base}/search`,
      filtered: `${base}/search`,
      batch: `${base}/search/batch`,
      upsert: `${base}/vectors`,
    },
    batchSize,
    bodies,
  };
  if (!opts.mix) {
    // Writes go through their rows in order (the first UPSERT_IDS insert, the rest replace).
    let upserts = 0;
    return {
      ...queries,
      mixed: false,
      body: (scenario, i) =>
        scenario === 'upsert'
          ? bodies.upsert[upserts++ % UPSERT_IDS]!
          : bodies[scenario][i % count]!,
    };
  }
  const dimension = target.dimension;
  const vectorOf = (rank: number) => {
    const v = vectors[rank % count]!.slice();
    // One component moved by a small step that differs per rank (distinct float32 values for
    // ranks below count x dimension x 10^4), so the query stays as realistic as the held-out one.
    const round = Math.floor(rank / count);
    if (round > 0) v[round % dimension]! += 1e-6 * (1 + (Math.floor(round / dimension) % 10_000));
    return v;
  };
  const bodyOf: Record<Scenario, (rank: number) => string> = {
    search: (r) => searchBody(vectorOf(r)),
    filtered: (r) => filteredBody(vectorOf(r), r),
    batch: (r) => batchBody((j) => vectorOf(r * batchSize + j)),
    upsert: (r) => upsertBody(r),
  };
  // One draw per scenario, each with its own seed, so a scenario's share of the mix is its own.
  const next = Object.fromEntries(
    SCENARIOS.map((s, k) => [s, mixBodies(parseQueryMix(opts.mix!, 7 + k), bodyOf[s])]),
  ) as Record<Scenario, () => string>;
  return {
    ...queries,
    mixed: true,
    body: (scenario) => next[scenario](),
  };
}
