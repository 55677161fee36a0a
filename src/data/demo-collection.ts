import type { RowColumns, SearchBackend } from '../backends/search-backend.ts';
import type { CollectionSpec, Row } from '../core/types.ts';
import type { Logger } from '../observability/logger.ts';
import { SyntheticVectors } from './synthetic-vectors.ts';

export const DEMO_CATEGORIES = ['A', 'B', 'C', 'D'] as const;
/** Seed of the demo rows; bench queries use other seeds over the same cluster centres. */
export const DEMO_SEED = 1;

export function demoSpec(name: string, dimension: number): CollectionSpec {
  return {
    name,
    dimension,
    metric: 'L2',
    fields: [
      { name: 'category', type: 'string', maxLength: 16 },
      { name: 'price', type: 'float' },
    ],
    index: { M: 16, efConstruction: 200, efSearch: 64 },
  };
}

/** The demo rows, batch after batch: ids `item-<n>`, category A-D, price 1-100. */
export function* demoRows(size: number, dimension: number, batchSize = 1000): Generator<Row[]> {
  for (const { columns } of demoColumns(size, dimension, batchSize)) yield rowsOf(columns);
}

/** Columns back as one row object (and one number[] vector) per row. */
export function rowsOf(columns: RowColumns): Row[] {
  const dim = columns.vectors.length / columns.ids.length;
  const fields = Object.entries(columns.fields);
  return columns.ids.map((id, r) => ({
    id,
    vector: Array.from(columns.vectors.subarray(r * dim, (r + 1) * dim)),
    fields: Object.fromEntries(fields.map(([field, values]) => [field, values[r]!])),
  }));
}

/**
 * The demo rows as columns, batch after batch (ids `item-<n>`, category A-D,
 * price 1-100), without a row object or a number[] per row. Rows before `from`
 * are drawn and dropped: the stream is seeded, so a resumed load continues it
 * exactly.
 */
export function* demoColumns(
  size: number,
  dimension: number,
  batchSize: number,
  from = 0,
): Generator<{ first: number; columns: RowColumns }> {
  const gen = new SyntheticVectors({ dimension, seed: DEMO_SEED });
  for (let i = 0; i < Math.min(from, size); i++) {
    gen.next();
    gen.uniform();
    gen.uniform();
  }
  for (let start = from; start < size; start += batchSize) {
    const rows = Math.min(size, start + batchSize) - start;
    const ids: string[] = new Array(rows);
    const vectors = new Float32Array(rows * dimension);
    const category: string[] = new Array(rows);
    const price: number[] = new Array(rows);
    for (let r = 0; r < rows; r++) {
      ids[r] = `item-${start + r}`;
      vectors.set(gen.next(), r * dimension);
      category[r] = DEMO_CATEGORIES[Math.floor(gen.uniform() * DEMO_CATEGORIES.length)]!;
      price[r] = Math.round((1 + gen.uniform() * 99) * 100) / 100;
    }
    yield { first: start, columns: { ids, vectors, fields: { category, price } } };
  }
}

/**
 * Creates and fills the demo collection unless it exists already (then this
 * is a no-op, which is what makes the second start fast), or fills it when it
 * exists empty (a first start that failed mid-way). Works on any backend.
 */
export async function ensureDemoCollection(
  backend: SearchBackend,
  opts: { name: string; size: number; dimension: number; logger: Logger },
): Promise<void> {
  const { logger } = opts;
  if ((await backend.listCollections()).includes(opts.name)) {
    // An empty demo collection is one whose first start failed while filling it (a Milvus
    // refusing the first batch, say): fill it now rather than serve nothing for ever.
    // One with rows is the user's to change: left alone.
    if ((await backend.describe(opts.name)).count > 0) return;
    logger.warn({ collection: opts.name }, 'demo collection exists but is empty: filling it');
  } else {
    logger.info(
      { collection: opts.name, size: opts.size, dimension: opts.dimension },
      'building demo collection',
    );
    await backend.createCollection(demoSpec(opts.name, opts.dimension));
  }
  const started = performance.now();
  let done = 0;
  for (const rows of demoRows(opts.size, opts.dimension)) {
    await backend.write(opts.name, rows, { mode: 'upsert' });
    done += rows.length;
    logger.debug({ done, of: opts.size }, 'demo rows inserted');
  }
  await backend.flush(opts.name);
  logger.info(
    { collection: opts.name, ms: Math.round(performance.now() - started) },
    'demo collection ready',
  );
}

/**
 * A query from the demo's own distribution (its cluster centres, another
 * seed), as a search body: what the start banner's curl sends, so the
 * distances it shows look like a real search's, not those of the vector 1..512.
 */
export function demoQueryBody(dimension: number): string {
  const v = new SyntheticVectors({ dimension, seed: DEMO_SEED + 2000 }).next();
  return `${JSON.stringify({ vector: Array.from(v, (x) => Math.round(x * 1e4) / 1e4), topK: 10 })}\n`;
}
