import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { closerFirst, score } from '../../core/distance.ts';
import type { Filter } from '../../core/filter.ts';
import type {
  CollectionInfo,
  CollectionSchema,
  CollectionSpec,
  Fields,
  Hit,
  IndexParams,
} from '../../core/types.ts';
import { DeletedSlots } from './deleted-slots.ts';
import { exactNearest, type GraphCoding, HnswIndex } from './hnsw-index.ts';
import { RowStore } from './row-store.ts';
import {
  DELETED_FILE,
  dataDirOf,
  fsyncPath,
  INDEX_FILE,
  type Manifest,
  type ResolvedSpec,
  writeDurably,
} from './snapshot.ts';

export const DEFAULT_INDEX_PARAMS: IndexParams = {
  M: 16,
  efConstruction: 200,
  efSearch: 64,
  quantization: 'f32',
  oversampling: 1,
};

export type OpenMode = 'writable' | 'shared';

export interface SearchParams {
  topK: number;
  filter: Filter;
  outputFields: string[];
  ef?: number;
  /** Candidates per hit wanted, scored exactly (the collection's default when absent). */
  oversampling?: number;
}

/** A row found by a search: its slot and its distance in the API's units. */
interface Found {
  slot: number;
  distance: number;
}

/** Rows read per step when a graph is rebuilt from the raw vectors. */
const REBUILD_CHUNK = 16_384;

/**
 * Most rows written since the last snapshot that searches also scan exactly
 * (see `#flat`). The API's writes are folded into a snapshot every
 * `checkpointRows` (4,096 by default), far below this; a bulk build past it (a
 * compaction, a long log replay) is found through the graph alone.
 */
export const FLAT_TAIL_MAX = 16_384;

/**
 * Most unreachable rows kept in the exact scan (0.4 ms per search at 512-d).
 * A graph whose rows lose their edges by the thousands (codes that collide in
 * an i8 index of tiny components) needs rescoring or a rebuild, not a scan.
 */
const MAX_UNREACHABLE = 4096;

/**
 * One collection of the embedded backend: a usearch HNSW graph over the rows of
 * a data generation (RowStore: raw vectors, ids and scalar columns in files that
 * every worker reads through the shared page cache), plus the set of deleted
 * slots. A slot is never reused within a generation: an upsert marks the old
 * slot deleted and appends a new one, so usearch keys stay unique.
 *
 * In `shared` mode the graph is memory-mapped read-only (`view`) and the data
 * files are opened read-only; only the writable process keeps an id -> slot map.
 */
export class EmbeddedCollection {
  readonly spec: ResolvedSpec;
  readonly mode: OpenMode;
  readonly bruteForceLimit: number;
  readonly dir: string;
  /** The sequence number of the last logged write applied (the log's records above it are not). */
  #appliedSeq: number;
  generation: number;

  #rows: RowStore;
  #deleted: DeletedSlots;
  #index: HnswIndex;
  /**
   * The snapshot's index file while the graph is only memory-mapped from it
   * (see `open`); null once the graph is in this process's memory.
   */
  #viewedFrom: string | null = null;
  /** Slots below this are in the graph; rows appended during a log replay wait above it. */
  #graphEnd: number;
  /** Between beginReplay and finishReplay: appended rows join the graph at the end, at once. */
  #replaying = false;
  #idToSlot: Map<string, number> | null;
  /**
   * Rows every search also scans exactly, merged with the graph's answer, as
   * Milvus searches its growing segment: those written since the snapshot in
   * force (the tail, from `#tailFrom`), and older ones the graph walk could
   * not reach from their own vector when their snapshot was written. HNSW
   * gives a new node edges to its nearest neighbours, but their own lists may
   * drop the edge back, and then no walk reaches it: a far outlier inserted
   * and acknowledged was not found by its own vector (2 of 200 on the demo).
   * Slots ascending; deleted ones stay until the next snapshot and are skipped.
   */
  #flat: { slots: number[]; vectors: Float32Array } = { slots: [], vectors: new Float32Array(0) };
  #tailFrom: number;
  /** Slots below the tail the graph could not reach when the snapshot in force was written. */
  #unreachable: number[] = [];
  /** Found by the last writeSnapshot; in force once that snapshot is (snapshotInForce). */
  #pendingUnreachable: number[] = [];
  readonly #order: (a: number, b: number) => number;
  #schema: CollectionSchema | undefined;

  private constructor(
    dir: string,
    spec: ResolvedSpec,
    mode: OpenMode,
    bruteForceLimit: number,
    state: { generation: number; slots: number; walSeq: number; deleted: DeletedSlots },
  ) {
    this.dir = dir;
    this.spec = spec;
    this.mode = mode;
    this.bruteForceLimit = bruteForceLimit;
    this.#appliedSeq = state.walSeq;
    this.generation = state.generation;
    this.#rows = new RowStore(
      dataDirOf(dir, state.generation),
      spec.dimension,
      spec.fields,
      mode === 'writable' ? 'write' : 'read',
      state.slots,
    );
    this.#deleted = state.deleted;
    this.#index = new HnswIndex(spec);
    this.#graphEnd = state.slots;
    this.#tailFrom = state.slots;
    this.#order = closerFirst(spec.metric);
    this.#idToSlot = null;
  }

  get appliedSeq(): number {
    return this.#appliedSeq;
  }

  /** Records that the logged write `seq` has been applied; sequence numbers only grow. */
  markApplied(seq: number): void {
    if (!(seq > this.#appliedSeq)) {
      throw new Error(`write ${seq} applied after ${this.#appliedSeq}: sequence numbers only grow`);
    }
    this.#appliedSeq = seq;
  }

  static resolveSpec(spec: CollectionSpec): ResolvedSpec {
    return { ...spec, index: { ...DEFAULT_INDEX_PARAMS, ...spec.index } };
  }

  /** A new, empty, writable collection in `dir`, writing data generation `generation`. */
  static create(
    dir: string,
    spec: CollectionSpec,
    bruteForceLimit: number,
    generation = 0,
    walSeq = 0,
  ): EmbeddedCollection {
    const resolved = EmbeddedCollection.resolveSpec(spec);
    const c = new EmbeddedCollection(dir, resolved, 'writable', bruteForceLimit, {
      generation,
      slots: 0,
      walSeq,
      deleted: new DeletedSlots(),
    });
    c.#idToSlot = new Map();
    return c;
  }

  /**
   * Opens the snapshot in `snapshotDir`. `indexUsable` false (the file failed
   * verification) leaves the graph empty and marks every row as waiting to be
   * indexed: `finishReplay()` then rebuilds it from the raw vectors.
   */
  static open(
    dir: string,
    snapshotDir: string,
    manifest: Manifest,
    mode: OpenMode,
    bruteForceLimit: number,
    indexUsable: boolean,
  ): EmbeddedCollection {
    const deletedPath = join(snapshotDir, DELETED_FILE);
    const c = new EmbeddedCollection(dir, manifest.spec, mode, bruteForceLimit, {
      generation: manifest.generation,
      slots: manifest.slots,
      walSeq: manifest.walSeq,
      deleted: existsSync(deletedPath) ? DeletedSlots.load(deletedPath) : new DeletedSlots(),
    });
    const indexPath = join(snapshotDir, INDEX_FILE);
    if (!indexUsable) c.#graphEnd = 0;
    else if (manifest.slots > 0 && existsSync(indexPath)) {
      // Even a writable collection maps the file until its first write: searches
      // of a mapped graph cost 5% less CPU than of a loaded one (measured on the
      // demo), and the pages are the page cache's, shared with every process.
      // An int8 graph compares queries in its own codes: its learned scale, or
      // usearch's by-length cast for graphs written before scales were learned.
      c.#index = new HnswIndex(manifest.spec, codingOf(manifest));
      c.#index.view(indexPath);
      if (mode === 'writable') c.#viewedFrom = indexPath;
      c.#index.removed = manifest.indexRemoved;
    }
    c.#unreachable = (manifest.unreachable ?? []).filter((s) => !c.#deleted.has(s));
    c.#resetFlat();
    if (mode === 'writable') {
      c.#idToSlot = new Map();
      for (const [id, slot] of c.#rows.allIds()) {
        if (!c.#deleted.has(slot)) c.#idToSlot.set(id, slot);
      }
    }
    return c;
  }

  get count(): number {
    return this.#rows.slots - this.#deleted.count;
  }

  get slots(): number {
    return this.#rows.slots;
  }

  /** Share of the graph's keys that are removed ones (usearch keeps their slots). */
  get removedShare(): number {
    const total = this.#index.size + this.#index.removed;
    return total === 0 ? 0 : this.#index.removed / total;
  }

  has(id: string): boolean {
    return this.#idToSlot?.has(id) ?? false;
  }

  /** Name, dimension, metric and fields: fixed for the collection's life, read on every request. */
  get schema(): CollectionSchema {
    this.#schema ??= {
      name: this.spec.name,
      dimension: this.spec.dimension,
      metric: this.spec.metric,
      fields: this.spec.fields,
      indexType: 'HNSW',
    };
    return this.#schema;
  }

  info(): CollectionInfo {
    return {
      name: this.spec.name,
      dimension: this.spec.dimension,
      metric: this.spec.metric,
      count: this.count,
      fields: this.spec.fields,
      index: { type: 'HNSW', ...this.spec.index },
      writable: this.mode === 'writable',
    };
  }

  /**
   * Before the graph changes: a graph mapped from its snapshot file is read
   * into memory (a mapped graph is read-only). Once, at the first write.
   */
  #mutableIndex(): HnswIndex {
    if (this.#viewedFrom !== null) {
      const loaded = new HnswIndex(this.spec, this.#index.coding ?? undefined);
      loaded.load(this.#viewedFrom);
      loaded.removed = this.#index.removed;
      this.#index = loaded;
      this.#viewedFrom = null;
    }
    return this.#index;
  }

  /** Inserts rows, replacing any row with the same id. `vectors` is rows x dimension. */
  upsert(ids: readonly string[], fields: readonly Fields[], vectors: Float32Array): void {
    this.#remove(ids);
    const first = this.#rows.append(ids, fields, vectors);
    for (let i = 0; i < ids.length; i++) this.#idToSlot!.set(ids[i]!, first + i);
    this.#addToFlat(first, vectors);
    // During log replay the graph catches up once, in one multi-threaded add.
    if (!this.#replaying) {
      this.#mutableIndex().add(first, vectors);
      this.#graphEnd = this.#rows.slots;
    }
  }

  /** Removes rows by id; returns how many existed. */
  delete(ids: readonly string[]): number {
    return this.#remove(ids);
  }

  #remove(ids: readonly string[]): number {
    const fromGraph: number[] = [];
    let removed = 0;
    for (const id of ids) {
      const slot = this.#idToSlot!.get(id);
      if (slot === undefined) continue;
      this.#idToSlot!.delete(id);
      this.#deleted.add(slot);
      removed++;
      if (slot < this.#graphEnd) fromGraph.push(slot);
    }
    if (fromGraph.length > 0) this.#mutableIndex().remove(fromGraph);
    return removed;
  }

  /** Opens a log replay: rows appended from now on join the graph in `finishReplay`. */
  beginReplay(): void {
    this.#replaying = true;
  }

  /**
   * Adds every live row above the indexed prefix to the graph, in chunks read
   * from the raw vectors, each added with every core. Returns how many.
   */
  finishReplay(): number {
    const from = this.#graphEnd;
    const dim = this.spec.dimension;
    let added = 0;
    for (let start = from; start < this.#rows.slots; start += REBUILD_CHUNK) {
      const n = Math.min(REBUILD_CHUNK, this.#rows.slots - start);
      const block = this.#rows.vectors.readRange(start, n);
      const slots: number[] = [];
      const live = new Float32Array(n * dim);
      for (let i = 0; i < n; i++) {
        if (this.#deleted.has(start + i)) continue;
        live.set(block.subarray(i * dim, (i + 1) * dim), slots.length * dim);
        slots.push(start + i);
      }
      this.#mutableIndex().addKeyed(slots, live.subarray(0, slots.length * dim));
      added += slots.length;
    }
    this.#graphEnd = this.#rows.slots;
    this.#replaying = false;
    return added;
  }

  search(queries: Float32Array[], params: SearchParams): Hit[][] {
    if (this.count === 0) return queries.map(() => []);
    let accept: ((slot: number) => boolean) | null = null;
    let found: Found[][];
    if (params.filter.length === 0) {
      found = queries.map((q) => this.#graphSearch(q, params, null));
    } else {
      const matched = this.#rows.match(params.filter, this.#deleted);
      if (matched.length === 0) return queries.map(() => []);
      const bitmap = new Uint8Array(this.#rows.slots);
      for (const slot of matched) bitmap[slot] = 1;
      accept = (slot) => bitmap[slot] === 1;
      found = this.#filteredSearch(queries, params, matched, bitmap);
    }
    return found.map((hits, i) =>
      this.#withFlat(queries[i]!, hits, params.topK, accept).map((f) =>
        this.#hit(f.slot, f.distance, params.outputFields),
      ),
    );
  }

  #filteredSearch(
    queries: Float32Array[],
    params: SearchParams,
    matched: Int32Array,
    bitmap: Uint8Array,
  ): Found[][] {
    if (matched.length <= this.bruteForceLimit) {
      const vectors = this.#vectorsOf(matched);
      return queries.map((q) => this.#exactSearch(q, matched, vectors, params));
    }
    let vectors: Float32Array | null = null;
    return queries.map((q) => {
      const hits = this.#graphSearch(q, params, { bitmap, matched: matched.length });
      // The graph walk found too few matching rows (a very selective filter
      // scattered over the graph): fall back to exact rather than return short.
      if (hits.length >= Math.min(params.topK, matched.length)) return hits;
      vectors ??= this.#vectorsOf(matched);
      return this.#exactSearch(q, matched, vectors, params);
    });
  }

  /**
   * The graph's answer merged with an exact scan of `#flat` (rows written
   * since the snapshot, rows the graph cannot reach): a row is never missed
   * because the graph walk did not get to it.
   */
  #withFlat(
    q: Float32Array,
    hits: Found[],
    topK: number,
    accept: ((slot: number) => boolean) | null,
  ): Found[] {
    const flat = this.#flat;
    const n = flat.slots.length;
    if (n === 0) return hits;
    // Deleted or filtered-out rows are skipped, so ask for more until topK are kept or all were seen.
    let k = Math.min(n, topK * 2 + 16);
    let extra: Found[] = [];
    for (;;) {
      const near = exactNearest(this.spec.metric, flat.vectors, n, q, k);
      extra = [];
      for (let i = 0; i < near.keys.length && extra.length < topK; i++) {
        const slot = flat.slots[Number(near.keys[i])]!;
        if (this.#deleted.has(slot) || (accept && !accept(slot))) continue;
        extra.push({ slot, distance: this.#fromUsearch(near.distances[i]!) });
      }
      if (extra.length >= topK || k >= n) break;
      k = Math.min(n, k * 4);
    }
    if (extra.length === 0) return hits;
    const seen = new Set(extra.map((f) => f.slot));
    const merged = extra.concat(hits.filter((h) => !seen.has(h.slot)));
    merged.sort((a, b) => this.#order(a.distance, b.distance) || a.slot - b.slot);
    return merged.slice(0, topK);
  }

  /**
   * The graph's best topK, in exact distances: its topK x oversampling
   * candidates, scored from the raw vectors when the graph is quantized (a
   * quantized graph's distances are in its codes' units: usearch's i8 L2 of
   * 0.16 reads 141, and merged with the exact scan's they cost recall: 0.3 at
   * ef 256 on i8). An f32 graph's distances are exact already, in order.
   */
  #graphSearch(
    q: Float32Array,
    params: SearchParams,
    filter: { bitmap: Uint8Array; matched: number } | null,
  ): Found[] {
    let hits = this.#annSearch(q, params, filter);
    if (this.spec.index.quantization !== 'f32') hits = this.#exactDistances(q, hits);
    return hits.length > params.topK ? hits.slice(0, params.topK) : hits;
  }

  #oversampling(params: SearchParams): number {
    return params.oversampling ?? this.spec.index.oversampling ?? 1;
  }

  /** `found` with exact float32 distances from the raw vectors (closest first). */
  #exactDistances(q: Float32Array, found: Found[]): Found[] {
    if (found.length === 0) return found;
    const slots = found.map((f) => f.slot).sort((a, b) => a - b);
    const near = exactNearest(
      this.spec.metric,
      this.#vectorsOf(slots),
      slots.length,
      q,
      slots.length,
    );
    return Array.from(near.keys, (key, i) => ({
      slot: slots[Number(key)]!,
      distance: this.#fromUsearch(near.distances[i]!),
    }));
  }

  /**
   * HNSW search. The graph is built with the smallest breadth, so asking for
   * k = max(topK, ef) results makes the breadth exactly that. With a filter,
   * ask for topK / selectivity (with margin) and widen 4x until enough matching
   * rows come back or the whole collection was asked for.
   */
  #annSearch(
    q: Float32Array,
    params: SearchParams,
    filter: { bitmap: Uint8Array; matched: number } | null,
  ): Found[] {
    const live = this.count;
    // Oversampling keeps topK x oversampling candidates; the caller scores them exactly.
    const want = params.topK * this.#oversampling(params);
    let k = Math.max(want, params.ef ?? this.spec.index.efSearch);
    if (filter) {
      const selectivity = filter.matched / live;
      k = Math.max(k, Math.ceil((params.topK / selectivity) * 1.5) + 16);
    }
    k = Math.min(k, live);
    for (;;) {
      const found = this.#index.search(q, k);
      const hits: Found[] = [];
      for (let i = 0; i < found.keys.length && hits.length < want; i++) {
        const slot = Number(found.keys[i]);
        if (slot >= this.#rows.slots || this.#deleted.has(slot)) continue;
        if (filter && filter.bitmap[slot] !== 1) continue;
        hits.push({ slot, distance: this.#fromUsearch(found.distances[i]!) });
      }
      if (hits.length >= want || k >= live || !filter) return hits;
      k = Math.min(k * 4, live);
    }
  }

  /** The raw vectors of `slots` (ascending), reading runs of nearby slots at once. */
  #vectorsOf(slots: ArrayLike<number>): Float32Array {
    const dim = this.spec.dimension;
    const out = new Float32Array(slots.length * dim);
    let i = 0;
    while (i < slots.length) {
      let j = i + 1;
      while (j < slots.length && slots[j]! - slots[j - 1]! <= 4 && slots[j]! - slots[i]! < 4096)
        j++;
      const first = slots[i]!;
      const span = slots[j - 1]! - first + 1;
      if (span === j - i) {
        this.#rows.vectors.readRange(first, span, out.subarray(i * dim, j * dim));
      } else {
        const block = this.#rows.vectors.readRange(first, span);
        for (let m = i; m < j; m++) {
          const at = (slots[m]! - first) * dim;
          out.set(block.subarray(at, at + dim), m * dim);
        }
      }
      i = j;
    }
    return out;
  }

  #exactSearch(
    q: Float32Array,
    slots: Int32Array,
    vectors: Float32Array,
    params: SearchParams,
  ): Found[] {
    const dim = this.spec.dimension;
    const scored = Array.from(slots, (slot, i) => ({
      slot,
      distance: score(this.spec.metric, q, vectors, i * dim),
    }));
    scored.sort((a, b) => this.#order(a.distance, b.distance) || a.slot - b.slot);
    return scored.slice(0, params.topK);
  }

  /** Rows appended at `first` join the exact scan (while the tail is within FLAT_TAIL_MAX). */
  #addToFlat(first: number, vectors: Float32Array): void {
    const dim = this.spec.dimension;
    const n = vectors.length / dim;
    const flat = this.#flat;
    if (n === 0 || first < this.#tailFrom || this.#rows.slots - this.#tailFrom > FLAT_TAIL_MAX)
      return;
    const need = (flat.slots.length + n) * dim;
    if (flat.vectors.length < need) {
      const grown = new Float32Array(Math.max(need, flat.vectors.length * 2, 64 * dim));
      grown.set(flat.vectors.subarray(0, flat.slots.length * dim));
      flat.vectors = grown;
    }
    flat.vectors.set(vectors, flat.slots.length * dim);
    for (let i = 0; i < n; i++) flat.slots.push(first + i);
  }

  /** The exact scan holds the unreachable rows and the tail (from the raw vectors). */
  #resetFlat(): void {
    const slots = [...this.#unreachable];
    for (let s = this.#tailFrom; s < this.#rows.slots && s - this.#tailFrom < FLAT_TAIL_MAX; s++)
      slots.push(s);
    this.#flat = {
      slots,
      vectors: slots.length > 0 ? this.#vectorsOf(slots) : new Float32Array(0),
    };
  }

  /**
   * Before a snapshot: which live rows of the exact scan the graph cannot
   * reach from their own vector (at the collection's search breadth, in one
   * batched call). Those stay in the scan; the rest leave it.
   */
  #findUnreachable(): number[] {
    const live = this.#flat.slots.filter((s) => !this.#deleted.has(s) && s < this.#graphEnd);
    if (live.length === 0) return [];
    const k = Math.min(Math.max(10, this.spec.index.efSearch), this.#index.size);
    const queries = this.#vectorsOf(live);
    const out: number[] = [];
    const found = this.#index.searchBatch(queries, k);
    for (let i = 0; i < live.length && out.length < MAX_UNREACHABLE; i++) {
      const keys = found.keys.subarray(i * k, i * k + Number(found.counts[i]));
      if (!keys.includes(BigInt(live[i]!))) out.push(live[i]!);
    }
    return out;
  }

  /** usearch reports 1 - similarity for IP and cosine; Milvus reports the similarity. */
  #fromUsearch(d: number): number {
    return this.spec.metric === 'L2' ? d : 1 - d;
  }

  #hit(slot: number, distance: number, outputFields: string[]): Hit {
    const hit: Hit = { id: this.#rows.id(slot), distance };
    if (outputFields.length > 0) hit.fields = this.#rows.rowFields(slot, outputFields);
    return hit;
  }

  /** Every live row, in slot order, in chunks (for compaction into a new generation). */
  *liveRows(
    chunk = REBUILD_CHUNK,
  ): Generator<{ ids: string[]; fields: Fields[]; vectors: Float32Array }> {
    const dim = this.spec.dimension;
    const names = this.spec.fields.map((f) => f.name);
    for (let start = 0; start < this.#rows.slots; start += chunk) {
      const n = Math.min(chunk, this.#rows.slots - start);
      const block = this.#rows.vectors.readRange(start, n);
      const allIds = this.#rows.ids(start, n);
      const ids: string[] = [];
      const fields: Fields[] = [];
      const vectors = new Float32Array(n * dim);
      for (let i = 0; i < n; i++) {
        const slot = start + i;
        if (this.#deleted.has(slot)) continue;
        vectors.set(block.subarray(i * dim, (i + 1) * dim), ids.length * dim);
        ids.push(allIds[i]!);
        fields.push(this.#rows.rowFields(slot, names));
      }
      yield { ids, fields, vectors: vectors.subarray(0, ids.length * dim) };
    }
  }

  /**
   * Writes this collection's state into `snapshotDir` (index and deleted slots)
   * and makes the data files durable; returns the manifest to switch in once
   * the index file has been verified.
   */
  writeSnapshot(snapshotDir: string): Omit<Manifest, 'verified'> {
    this.#rows.sync();
    if (this.#rows.slots > 0) {
      this.#mutableIndex().save(join(snapshotDir, INDEX_FILE));
      fsyncPath(join(snapshotDir, INDEX_FILE));
    }
    writeDurably(join(snapshotDir, DELETED_FILE), this.#deleted.bytes(this.#rows.slots));
    this.#pendingUnreachable = this.#findUnreachable();
    return {
      format: 2,
      spec: this.spec,
      generation: this.generation,
      slots: this.#rows.slots,
      live: this.count,
      walSeq: this.#appliedSeq,
      indexRemoved: this.#index.removed,
      unreachable: this.#pendingUnreachable,
      ...codingFields(this.#index.coding),
    };
  }

  /**
   * The snapshot written last is in force: its rows leave the exact scan,
   * except those its graph cannot reach.
   */
  snapshotInForce(): void {
    this.#unreachable = this.#pendingUnreachable;
    this.#tailFrom = this.#rows.slots;
    this.#resetFlat();
  }

  close(): void {
    this.#rows.close();
  }
}

/** The coding a snapshot's graph was built with (absent in its manifest: see snapshot.ts). */
function codingOf(manifest: Manifest): GraphCoding | undefined {
  switch (manifest.spec.index.quantization) {
    case 'i8':
      return manifest.graphScale !== undefined
        ? { kind: 'i8', scale: manifest.graphScale }
        : { kind: 'usearch-i8' };
    case 'b1':
      return manifest.graphMean
        ? { kind: 'b1', mean: Float32Array.from(manifest.graphMean) }
        : undefined;
    default:
      return undefined;
  }
}

/** What a manifest keeps of a graph's coding. */
function codingFields(c: GraphCoding | null): Pick<Manifest, 'graphScale' | 'graphMean'> {
  if (c?.kind === 'i8') return { graphScale: c.scale };
  if (c?.kind === 'b1') return { graphMean: Array.from(c.mean) };
  return {};
}
