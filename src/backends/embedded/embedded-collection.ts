import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Index, MetricKind, ScalarKind } from 'usearch';
import { closerFirst, score } from '../../core/distance.ts';
import { type Filter, matchesFilter } from '../../core/filter.ts';
import type {
  CollectionInfo,
  CollectionSchema,
  CollectionSpec,
  Fields,
  Hit,
  IndexParams,
  Metric,
  ScalarValue,
} from '../../core/types.ts';

export const DEFAULT_INDEX_PARAMS: IndexParams = { M: 16, efConstruction: 200, efSearch: 64 };

const USEARCH_METRIC: Record<Metric, MetricKind> = {
  L2: MetricKind.L2sq,
  IP: MetricKind.IP,
  COSINE: MetricKind.Cos,
};

export type OpenMode = 'writable' | 'shared';

export interface SearchParams {
  topK: number;
  filter: Filter;
  outputFields: string[];
  ef?: number;
}

interface SnapshotMeta {
  format: 1;
  spec: CollectionSpec & { index: IndexParams };
  slots: number;
  /** Last write-ahead-log sequence number folded into this snapshot. */
  walSeq: number;
}

interface SnapshotRows {
  ids: (string | null)[];
  columns: Record<string, (ScalarValue | null)[]>;
}

/**
 * One collection of the embedded backend: a usearch HNSW graph plus, per slot,
 * the raw vector (for exact search over small filtered subsets), the external id
 * and the scalar fields. A slot is never reused: an upsert tombstones the old
 * slot and appends a new one, so usearch keys stay unique.
 *
 * In `shared` mode the graph is memory-mapped read-only (`Index.view`), so
 * several worker processes serve one file through the page cache.
 */
export class EmbeddedCollection {
  readonly spec: CollectionSpec & { index: IndexParams };
  readonly mode: OpenMode;
  /** Filtered queries matching at most this many rows are answered exactly. */
  readonly bruteForceLimit: number;
  walSeq: number;

  #index: Index;
  #vectors: Float32Array;
  #slots = 0;
  #live = 0;
  #ids: (string | null)[] = [];
  #columns = new Map<string, (ScalarValue | null)[]>();
  #idToSlot = new Map<string, number>();
  readonly #order: (a: number, b: number) => number;
  #schema: CollectionSchema | undefined;

  private constructor(
    spec: CollectionSpec,
    mode: OpenMode,
    bruteForceLimit: number,
    capacity: number,
  ) {
    this.spec = { ...spec, index: { ...DEFAULT_INDEX_PARAMS, ...spec.index } };
    this.mode = mode;
    this.bruteForceLimit = bruteForceLimit;
    this.walSeq = 0;
    this.#index = EmbeddedCollection.#newIndex(this.spec);
    this.#vectors = new Float32Array(Math.max(capacity, 16) * spec.dimension);
    for (const f of spec.fields) this.#columns.set(f.name, []);
    this.#order = closerFirst(spec.metric);
  }

  static #newIndex(spec: CollectionSpec & { index: IndexParams }): Index {
    return new Index({
      dimensions: spec.dimension,
      metric: USEARCH_METRIC[spec.metric],
      quantization: ScalarKind.F32,
      connectivity: spec.index.M,
      expansion_add: spec.index.efConstruction,
      expansion_search: spec.index.efSearch,
      multi: false,
    });
  }

  static create(spec: CollectionSpec, bruteForceLimit: number): EmbeddedCollection {
    return new EmbeddedCollection(spec, 'writable', bruteForceLimit, 16);
  }

  /** Opens the snapshot in `dir`; `shared` maps the graph read-only. */
  static open(dir: string, mode: OpenMode, bruteForceLimit: number): EmbeddedCollection {
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as SnapshotMeta;
    const c = new EmbeddedCollection(meta.spec, mode, bruteForceLimit, 0);
    c.walSeq = meta.walSeq;
    const buf = readFileSync(join(dir, 'vectors.f32'));
    c.#vectors = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
    const rows = JSON.parse(readFileSync(join(dir, 'rows.json'), 'utf8')) as SnapshotRows;
    c.#slots = meta.slots;
    c.#ids = rows.ids;
    for (const f of meta.spec.fields) c.#columns.set(f.name, rows.columns[f.name] ?? []);
    rows.ids.forEach((id, slot) => {
      if (id !== null) c.#idToSlot.set(id, slot);
    });
    c.#live = c.#idToSlot.size;
    if (meta.slots > 0) {
      if (mode === 'shared') c.#index.view(join(dir, 'index.usearch'));
      else c.#index.load(join(dir, 'index.usearch'));
    }
    return c;
  }

  get count(): number {
    return this.#live;
  }

  has(id: string): boolean {
    return this.#idToSlot.has(id);
  }

  /** Name, dimension, metric and fields: fixed for the collection's life, read on every request. */
  get schema(): CollectionSchema {
    this.#schema ??= {
      name: this.spec.name,
      dimension: this.spec.dimension,
      metric: this.spec.metric,
      fields: this.spec.fields,
    };
    return this.#schema;
  }

  info(): CollectionInfo {
    return {
      name: this.spec.name,
      dimension: this.spec.dimension,
      metric: this.spec.metric,
      count: this.#live,
      fields: this.spec.fields,
      index: { type: 'HNSW', ...this.spec.index },
      writable: this.mode === 'writable',
    };
  }

  /** Inserts rows, replacing any row with the same id. `vectors` is rows x dimension. */
  upsert(ids: string[], fields: Fields[], vectors: Float32Array): void {
    const dim = this.spec.dimension;
    this.#remove(ids);
    this.#reserve(this.#slots + ids.length);
    const keys = new BigUint64Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const slot = this.#slots++;
      keys[i] = BigInt(slot);
      this.#vectors.set(vectors.subarray(i * dim, (i + 1) * dim), slot * dim);
      this.#ids[slot] = ids[i]!;
      this.#idToSlot.set(ids[i]!, slot);
      for (const [name, column] of this.#columns) column[slot] = fields[i]![name] ?? null;
    }
    this.#live += ids.length;
    // Bulk loads use every core (0 = auto); a few rows are not worth the thread start-up.
    this.#index.add(keys, vectors, ids.length >= 64 ? 0 : 1);
  }

  /** Removes rows by id; returns how many existed. */
  delete(ids: string[]): number {
    return this.#remove(ids);
  }

  #remove(ids: string[]): number {
    const keys: bigint[] = [];
    for (const id of ids) {
      const slot = this.#idToSlot.get(id);
      if (slot === undefined) continue;
      this.#idToSlot.delete(id);
      this.#ids[slot] = null;
      keys.push(BigInt(slot));
    }
    if (keys.length > 0) this.#index.remove(BigUint64Array.from(keys));
    this.#live -= keys.length;
    return keys.length;
  }

  #reserve(slots: number): void {
    const need = slots * this.spec.dimension;
    if (need <= this.#vectors.length) return;
    const grown = new Float32Array(Math.max(need, this.#vectors.length * 2));
    grown.set(this.#vectors.subarray(0, this.#slots * this.spec.dimension));
    this.#vectors = grown;
  }

  search(queries: Float32Array[], params: SearchParams): Hit[][] {
    if (this.#live === 0) return queries.map(() => []);
    if (params.filter.length === 0) return queries.map((q) => this.#annSearch(q, params, null));
    const matched = this.#scan(params.filter);
    if (matched.length === 0) return queries.map(() => []);
    if (matched.length <= this.bruteForceLimit) {
      return queries.map((q) => this.#exactSearch(q, matched, params));
    }
    const bitmap = new Uint8Array(this.#slots);
    for (const slot of matched) bitmap[slot] = 1;
    return queries.map((q) => {
      const hits = this.#annSearch(q, params, { bitmap, matched: matched.length });
      // The graph walk found too few matching rows (a very selective filter
      // scattered over the graph): fall back to exact rather than return short.
      return hits.length < Math.min(params.topK, matched.length)
        ? this.#exactSearch(q, matched, params)
        : hits;
    });
  }

  /** Slots of live rows that satisfy the filter. */
  #scan(filter: Filter): Int32Array {
    const out: number[] = [];
    const columns = filter.map((p) => this.#columns.get(p.field)!);
    const row: Fields = {};
    for (let slot = 0; slot < this.#slots; slot++) {
      if (this.#ids[slot] === null) continue;
      for (let i = 0; i < filter.length; i++) {
        const v = columns[i]![slot];
        if (v === null || v === undefined) delete row[filter[i]!.field];
        else row[filter[i]!.field] = v;
      }
      if (matchesFilter(filter, row)) out.push(slot);
    }
    return Int32Array.from(out);
  }

  /**
   * HNSW search. usearch's search breadth is max(expansion_search, k), so asking
   * for k = max(topK, ef) results and keeping the first topK honours a per-query
   * `ef`. With a filter, ask for topK / selectivity (with margin) and widen 4x
   * until enough matching rows come back or the whole collection was asked for.
   */
  #annSearch(
    q: Float32Array,
    params: SearchParams,
    filter: { bitmap: Uint8Array; matched: number } | null,
  ): Hit[] {
    const ef = Math.max(params.topK, params.ef ?? this.spec.index.efSearch);
    let k = ef;
    if (filter) {
      const selectivity = filter.matched / this.#live;
      k = Math.max(ef, Math.ceil((params.topK / selectivity) * 1.5) + 16);
    }
    k = Math.min(k, this.#live);
    for (;;) {
      const found = this.#index.search(q, k, 1);
      const hits: Hit[] = [];
      for (let i = 0; i < found.keys.length && hits.length < params.topK; i++) {
        const slot = Number(found.keys[i]);
        if (slot >= this.#slots || this.#ids[slot] === null) continue;
        if (filter && filter.bitmap[slot] !== 1) continue;
        hits.push(this.#hit(slot, this.#fromUsearch(found.distances[i]!), params.outputFields));
      }
      if (hits.length >= params.topK || k >= this.#live || !filter) return hits;
      k = Math.min(k * 4, this.#live);
    }
  }

  #exactSearch(q: Float32Array, slots: Int32Array, params: SearchParams): Hit[] {
    const dim = this.spec.dimension;
    const scored = Array.from(slots, (slot) => ({
      slot,
      s: score(this.spec.metric, q, this.#vectors, slot * dim),
    }));
    scored.sort((a, b) => this.#order(a.s, b.s) || a.slot - b.slot);
    return scored
      .slice(0, params.topK)
      .map(({ slot, s }) => this.#hit(slot, s, params.outputFields));
  }

  /** usearch reports 1 - similarity for IP and cosine; Milvus reports the similarity. */
  #fromUsearch(d: number): number {
    return this.spec.metric === 'L2' ? d : 1 - d;
  }

  #hit(slot: number, distance: number, outputFields: string[]): Hit {
    const hit: Hit = { id: this.#ids[slot]!, distance };
    if (outputFields.length > 0) {
      const fields: Fields = {};
      for (const name of outputFields) {
        const v = this.#columns.get(name)?.[slot];
        if (v !== null && v !== undefined) fields[name] = v;
      }
      hit.fields = fields;
    }
    return hit;
  }

  /** Writes a complete snapshot into `dir` (a fresh directory) and fsyncs it. */
  saveSnapshot(dir: string): void {
    mkdirSync(dir, { recursive: true });
    const columns: SnapshotRows['columns'] = {};
    for (const [name, column] of this.#columns) columns[name] = column.slice(0, this.#slots);
    const rows: SnapshotRows = { ids: this.#ids.slice(0, this.#slots), columns };
    const vectors = this.#vectors.subarray(0, this.#slots * this.spec.dimension);
    writeDurably(join(dir, 'vectors.f32'), new Uint8Array(vectors.buffer, 0, vectors.byteLength));
    writeDurably(join(dir, 'rows.json'), Buffer.from(JSON.stringify(rows)));
    if (this.#slots > 0) {
      const indexPath = join(dir, 'index.usearch');
      this.#index.save(indexPath);
      fsyncPath(indexPath);
    }
    const meta: SnapshotMeta = {
      format: 1,
      spec: this.spec,
      slots: this.#slots,
      walSeq: this.walSeq,
    };
    writeDurably(join(dir, 'meta.json'), Buffer.from(JSON.stringify(meta, null, 2)));
    fsyncPath(dir);
  }
}

export function writeDurably(path: string, data: Uint8Array): void {
  const fd = openSync(path, 'w');
  try {
    let at = 0;
    while (at < data.byteLength) at += writeSync(fd, data, at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
