import type { SearchBackend } from '../backends/search-backend.ts';
import { InvalidRequestError } from '../core/errors.ts';
import type { Metric } from '../core/types.ts';
import { demoRows, demoSpec } from './demo-collection.ts';

export interface FillOptions {
  name: string;
  size: number;
  dimension: number;
  metric: Metric;
  /** Rows per write. */
  batch: number;
  M: number;
  efConstruction: number;
}

/**
 * Creates a collection of synthetic vectors (the demo's distribution) and fills
 * it to `size` rows. Idempotent and resumable: rows have fixed ids (item-<n>)
 * and are upserted, so a second run adds only what is missing. A collection
 * that exists with another dimension or metric is refused, not changed.
 */
export async function fillCollection(
  backend: SearchBackend,
  o: FillOptions,
  report: {
    created?: (description: string) => void;
    resumed?: (have: number) => void;
    progress?: (done: number, todo: number) => void;
    flushing?: () => void;
  } = {},
): Promise<{ had: number; added: number }> {
  const spec = {
    ...demoSpec(o.name, o.dimension),
    metric: o.metric,
    index: { M: o.M, efConstruction: o.efConstruction, efSearch: 64 },
  };
  let have = 0;
  if ((await backend.listCollections()).includes(o.name)) {
    const info = await backend.describe(o.name);
    if (info.dimension !== o.dimension || info.metric !== o.metric)
      throw new InvalidRequestError(
        `collection ${o.name} exists with dimension ${info.dimension} and metric ${info.metric}; ` +
          `asked for ${o.dimension} / ${o.metric}: drop it first (prepare-data -- drop --collection ${o.name})`,
      );
    have = info.count;
    if (have >= o.size) return { had: have, added: 0 };
    report.resumed?.(have);
  } else {
    await backend.createCollection(spec);
    report.created?.(
      `${o.name} (${backend.kind}, ${o.dimension}-d, ${o.metric}, HNSW M=${o.M} efConstruction=${o.efConstruction})`,
    );
  }
  let done = 0;
  const todo = o.size - have;
  for (const rows of demoRows(o.size, o.dimension, o.batch)) {
    const lastId = Number(rows[rows.length - 1]!.id!.slice('item-'.length));
    if (lastId < have) continue; // already there (ids are deterministic)
    const fresh = rows.filter((r) => Number(r.id!.slice('item-'.length)) >= have);
    await backend.write(o.name, fresh, { mode: 'upsert' });
    done += fresh.length;
    report.progress?.(done, todo);
  }
  // Seal segments (Milvus) or snapshot (embedded): the index is built before this returns.
  report.flushing?.();
  await backend.flush(o.name);
  return { had: have, added: done };
}
