import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_INDEX } from '../../core/collection-spec.ts';
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
import { copyToHugePages, hugePageCopy, type MappedGraph } from './huge-page-graphs.ts';
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

/** The shared defaults (core/collection-spec.ts) of what this HNSW index takes, and no rescoring. */
export const DEFAULT_INDEX_PARAMS: IndexParams = {
  M: DEFAULT_INDEX.M,
  efConstruction: DEFAULT_INDEX.efConstruction,
  efSearch: DEFAULT_INDEX.efSearch,
  quantization: DEFAULT_INDEX.quantization,
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

/**
 * The rows written since a snapshot, as a search thread is told of them:
 * slots `firstSlot` to `firstSlot + count`. Their vectors are in the data
 * generation's vector file (appended before they were acknowledged), which the
 * thread reads through the page cache, each row once.
 */
export interface TailView {
  firstSlot: number;
  count: number;
  /** With a filter: 1 where the tail row at that offset matches it (the thread cannot read its fields). */
  accept: Uint8Array | null;
}

/** What a search thread found: a slot, its exact distance, and its hit unless the slot is in the tail. */
export interface ThreadFound {
  slot: number;
  distance: number;
  hit: Hit | null;
}

/** A search a thread can answer for this collection (see `threadSearch`). */
export interface ThreadSearch {
  snapshotDir: string;
  tail: TailView;
  /**
   * Slots deleted since the snapshot (rows deleted or replaced, in the
   * snapshot or the tail), in the order deleted, on shared memory: the list
   * only grows until the next snapshot, so a thread applies what it has not yet.
   */
  deleted: Int32Array;
}

/** Rows read per step when a graph is rebuilt from the raw vectors. */
const REBUILD_CHUNK = 16_384;

/**
 * Most rows written since the last snapshot that searches also scan exactly
 * (see `#tail`). The API's writes are folded into a snapshot every
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
  /** Where the snapshot's graph is mapped from (null: loaded, or no graph file). */
  mappedGraph: MappedGraph | null = null;
  /** Set while a huge-page copy is made: resolves once the graph is mapped from it, or says why not. */
  graphCopy: Promise<MappedGraph> | null = null;
  #closed = false;
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
  /*
   * Rows every search also scans exactly, merged with the graph's answer, as
   * Milvus searches its growing segment: those written since the snapshot in
   * force (the tail, from `#tailFrom`), and older ones the graph walk could
   * not reach from their own vector when their snapshot was written. HNSW
   * gives a new node edges to its nearest neighbours, but their own lists may
   * drop the edge back, and then no walk reaches it: a far outlier inserted
   * and acknowledged was not found by its own vector (2 of 200 on the demo).
   * Deleted rows stay in both until the next snapshot and are skipped.
   */
  /** Slots below the tail the graph could not reach when the snapshot in force was written. */
  #unreachable: number[] = [];
  /** Their vectors, `#unreachable.length` rows. */
  #unreachableVectors: Float32Array = new Float32Array(0);
  /** Found by the last writeSnapshot; in force once that snapshot is (snapshotInForce). */
  #pendingUnreachable: number[] = [];
  #tailFrom: number;
  /**
   * The tail's vectors (slots `#tailFrom` + i). `count` stops growing past
   * FLAT_TAIL_MAX. In a search thread: the writer's tail as far as read.
   */
  #tail: { count: number; vectors: Float32Array } = { count: 0, vectors: new Float32Array(0) };
  /** The snapshot whose graph holds every slot below `#tailFrom` (null: none does, e.g. rebuilt since). */
  #snapshotDir: string | null = null;
  /** Written by the last writeSnapshot; in force with it. */
  #pendingSnapshotDir: string | null = null;
  /** Slots deleted since that snapshot (a thread's graph still holds them), on shared memory. */
  #deletedSince = { count: 0, slots: sharedInts(0) };
  /** In a search thread: how many of the writer's deletes since the snapshot are applied here. */
  #deletesApplied = 0;
  /** In a search thread: the writer's tail rows it deleted since. */
  readonly #tailDeleted = new Set<number>();
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

  /**
   * A new, empty, writable collection in `dir`, writing data generation
   * `generation`; `coding`: its graph's (absent: learned from the first rows).
   */
  static create(
    dir: string,
    spec: CollectionSpec,
    bruteForceLimit: number,
    generation = 0,
    walSeq = 0,
    coding?: GraphCoding,
  ): EmbeddedCollection {
    const resolved = EmbeddedCollection.resolveSpec(spec);
    const c = new EmbeddedCollection(dir, resolved, 'writable', bruteForceLimit, {
      generation,
      slots: 0,
      walSeq,
      deleted: new DeletedSlots(),
    });
    c.#idToSlot = new Map();
    if (coding && resolved.index.quantization === 'i8') c.#index = new HnswIndex(resolved, coding);
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
    hugePagesDir?: string,
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
      // Read-only views map a copy on huge pages when there is one, else the
      // store's file until the copy is made (huge-page-graphs.ts); a writable
      // collection later loads the file it viewed, so it keeps the store's.
      const huge = mode === 'shared' ? hugePagesDir : undefined;
      const copy = huge ? hugePageCopy(indexPath, huge) : null;
      c.#index = new HnswIndex(manifest.spec, codingOf(manifest));
      c.#index.view(copy ?? indexPath);
      c.mappedGraph = { path: copy ?? indexPath };
      if (huge && copy === null) c.graphCopy = c.#switchToCopy(indexPath, huge);
      if (mode === 'writable') c.#viewedFrom = indexPath;
      c.#index.removed = manifest.indexRemoved;
    }
    c.#unreachable = (manifest.unreachable ?? []).filter((s) => !c.#deleted.has(s));
    c.#resetFlat();
    if (indexUsable) c.#snapshotDir = snapshotDir;
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
      this.#noteDeleted(slot);
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
    return this.#found(queries, params).map((found) =>
      found.map((f) => this.#hit(f.slot, f.distance, params.outputFields)),
    );
  }

  /**
   * Each query's best topK (graph, unreachable rows and tail), closest first.
   * `tailAccept`: in a search thread, which tail rows match the filter (their
   * fields are past the rows it can read).
   */
  #found(
    queries: Float32Array[],
    params: SearchParams,
    tailAccept: Uint8Array | null = null,
  ): Found[][] {
    const none = () => queries.map((): Found[] => []);
    let accept: ((slot: number) => boolean) | null = null;
    let found: Found[][];
    if (params.filter.length === 0) {
      found = this.count === 0 ? none() : queries.map((q) => this.#graphSearch(q, params, null));
    } else {
      const matched =
        this.count === 0 ? new Int32Array(0) : this.#rows.match(params.filter, this.#deleted);
      const bitmap = new Uint8Array(this.#rows.slots);
      for (const slot of matched) bitmap[slot] = 1;
      const tailFrom = this.#tailFrom;
      accept = (slot) =>
        slot < bitmap.length ? bitmap[slot] === 1 : tailAccept?.[slot - tailFrom] === 1;
      found =
        matched.length === 0 ? none() : this.#filteredSearch(queries, params, matched, bitmap);
    }
    return found.map((hits, i) => this.#withFlat(queries[i]!, hits, params.topK, accept));
  }

  /**
   * How a search thread can answer `params` now: search the snapshot in
   * force (which it opens read-only), skipping the rows deleted since, and
   * scan the tail (read from the vector file). Null when no snapshot's graph holds the
   * rows below the tail (none written yet, or the graph was rebuilt since), or
   * the tail outgrew its exact scan.
   */
  threadSearch(params: SearchParams): ThreadSearch | null {
    const tailRows = this.#rows.slots - this.#tailFrom;
    if (this.#snapshotDir === null || this.#replaying || tailRows !== this.#tail.count) return null;
    let accept: Uint8Array | null = null;
    if (params.filter.length > 0 && tailRows > 0) {
      accept = new Uint8Array(tailRows);
      for (const slot of this.#rows.match(params.filter, this.#deleted, this.#tailFrom))
        accept[slot - this.#tailFrom] = 1;
    }
    return {
      snapshotDir: this.#snapshotDir,
      deleted: this.#deletedSince.slots.subarray(0, this.#deletedSince.count),
      tail: { firstSlot: this.#tailFrom, count: tailRows, accept },
    };
  }

  /**
   * In a search thread, over the snapshot it opened (read-only): the writer's
   * tail rows and deletes since are taken in (those not yet: the tail's new
   * rows read from the vector file), and searched as the writer searches them.
   * Tail rows come back without a hit (their ids and fields are the writer's
   * to read).
   */
  searchBesideTail(
    queries: Float32Array[],
    params: SearchParams,
    task: Pick<ThreadSearch, 'tail' | 'deleted'>,
  ): ThreadFound[][] {
    const { tail, deleted } = task;
    if (tail.firstSlot !== this.#rows.slots || deleted.length < this.#deletesApplied) {
      throw new Error(
        `the writer's tail (from slot ${tail.firstSlot}, ${deleted.length} deletes) does not ` +
          `follow this snapshot (${this.#rows.slots} slots, ${this.#deletesApplied} deletes)`,
      );
    }
    for (; this.#deletesApplied < deleted.length; this.#deletesApplied++) {
      const slot = deleted[this.#deletesApplied]!;
      if (slot < this.#rows.slots) this.#deleted.add(slot);
      else this.#tailDeleted.add(slot);
    }
    const have = this.#tail.count;
    if (tail.count > have)
      this.#appendToTail(this.#rows.vectors.readRange(tail.firstSlot + have, tail.count - have));
    return this.#found(queries, params, tail.accept).map((found) =>
      found.map((f) => ({
        slot: f.slot,
        distance: f.distance,
        hit: f.slot < tail.firstSlot ? this.#hit(f.slot, f.distance, params.outputFields) : null,
      })),
    );
  }

  /**
   * A thread's answer to `task` (from `threadSearch`), as of now: rows deleted
   * while it searched are dropped, tail rows get their ids and fields. Null if
   * it cannot stand: a newer snapshot is in force, or deletes meanwhile left
   * fewer than topK of a full answer.
   */
  finishThreadSearch(
    task: ThreadSearch,
    answers: ThreadFound[][],
    params: SearchParams,
  ): Hit[][] | null {
    if (task.snapshotDir !== this.#snapshotDir || task.tail.firstSlot !== this.#tailFrom)
      return null;
    const out: Hit[][] = [];
    for (const answer of answers) {
      const hits: Hit[] = [];
      for (const f of answer) {
        if (hits.length === params.topK) break;
        if (this.#deleted.has(f.slot)) continue;
        hits.push(f.hit ?? this.#hit(f.slot, f.distance, params.outputFields));
      }
      if (hits.length < params.topK && answer.length >= params.topK) return null;
      out.push(hits);
    }
    return out;
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
   * The graph's answer merged with an exact scan of the unreachable rows and
   * the tail: a row is never missed because the graph walk did not get to it.
   */
  #withFlat(
    q: Float32Array,
    hits: Found[],
    topK: number,
    accept: ((slot: number) => boolean) | null,
  ): Found[] {
    const unreachable = this.#unreachable;
    if (unreachable.length === 0 && this.#tail.count === 0) return hits;
    const tailFrom = this.#tailFrom;
    const scanned = this.#nearestOf(
      q,
      this.#unreachableVectors,
      unreachable.length,
      (at) => unreachable[at]!,
      topK,
      accept,
    ).concat(
      this.#nearestOf(q, this.#tail.vectors, this.#tail.count, (at) => tailFrom + at, topK, accept),
    );
    return this.#merged(hits, scanned, topK);
  }

  /**
   * The `topK` rows of `vectors` (`count` of them, row `at` being slot
   * `slotOf(at)`) closest to `q`, skipping deleted and rejected ones: asks for more until topK are kept or all were seen.
   */
  #nearestOf(
    q: Float32Array,
    vectors: Float32Array,
    count: number,
    slotOf: (at: number) => number,
    topK: number,
    accept: ((slot: number) => boolean) | null,
  ): Found[] {
    if (count === 0) return [];
    let k = Math.min(count, topK * 2 + 16);
    for (;;) {
      const near = exactNearest(this.spec.metric, vectors, count, q, k);
      const kept: Found[] = [];
      for (let i = 0; i < near.keys.length && kept.length < topK; i++) {
        const slot = slotOf(Number(near.keys[i]));
        if (this.#deleted.has(slot) || this.#tailDeleted.has(slot)) continue;
        if (accept && !accept(slot)) continue;
        kept.push({ slot, distance: this.#fromUsearch(near.distances[i]!) });
      }
      if (kept.length >= topK || k >= count) return kept;
      k = Math.min(count, k * 4);
    }
  }

  /** The best topK of two answers (a slot in both counts once), closest first, ties by slot. */
  #merged(a: Found[], b: Found[], topK: number): Found[] {
    if (b.length === 0) return a;
    const seen = new Set(b.map((f) => f.slot));
    const merged = b.concat(a.filter((h) => !seen.has(h.slot)));
    merged.sort((x, y) => this.#order(x.distance, y.distance) || x.slot - y.slot);
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
    // A search thread's graph still holds the rows deleted since its snapshot.
    const reach = Math.max(live, this.#index.size);
    k = Math.min(k, reach);
    for (;;) {
      const found = this.#index.search(q, k);
      const hits: Found[] = [];
      let deleted = 0;
      for (let i = 0; i < found.keys.length && hits.length < want; i++) {
        const slot = Number(found.keys[i]);
        if (slot >= this.#rows.slots || this.#deleted.has(slot)) {
          deleted++;
          continue;
        }
        if (filter && filter.bitmap[slot] !== 1) continue;
        hits.push({ slot, distance: this.#fromUsearch(found.distances[i]!) });
      }
      if (hits.length >= want || k >= reach || (!filter && deleted === 0)) return hits;
      k = Math.min(filter ? k * 4 : k + 2 * deleted + 16, reach);
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

  /** A slot deleted since the snapshot: appended to the list search threads apply. */
  #noteDeleted(slot: number): void {
    const list = this.#deletedSince;
    if (list.count === list.slots.length) {
      // A new buffer, never a resize in place: a thread may be reading the old one.
      const grown = sharedInts(Math.max(256, list.count * 2));
      grown.set(list.slots);
      list.slots = grown;
    }
    list.slots[list.count++] = slot;
  }

  /** Rows appended at `first` join the tail's exact scan (while the tail is within FLAT_TAIL_MAX). */
  #addToFlat(first: number, vectors: Float32Array): void {
    const n = vectors.length / this.spec.dimension;
    if (first === this.#tailFrom + this.#tail.count && first + n - this.#tailFrom <= FLAT_TAIL_MAX)
      this.#appendToTail(vectors);
  }

  /** `vectors` (whole rows) appended to the tail's exact scan. */
  #appendToTail(vectors: Float32Array): void {
    const dim = this.spec.dimension;
    const tail = this.#tail;
    const need = tail.count * dim + vectors.length;
    if (tail.vectors.length < need) {
      const grown = new Float32Array(
        Math.min(Math.max(need, tail.vectors.length * 2, 64 * dim), FLAT_TAIL_MAX * dim),
      );
      grown.set(tail.vectors.subarray(0, tail.count * dim));
      tail.vectors = grown;
    }
    tail.vectors.set(vectors, tail.count * dim);
    tail.count += vectors.length / dim;
  }

  /** The exact scan holds the unreachable rows and the tail (from the raw vectors). */
  #resetFlat(): void {
    this.#unreachableVectors =
      this.#unreachable.length > 0 ? this.#vectorsOf(this.#unreachable) : new Float32Array(0);
    const count = Math.min(this.#rows.slots - this.#tailFrom, FLAT_TAIL_MAX);
    this.#tail = { count: 0, vectors: new Float32Array(0) };
    if (count > 0) this.#appendToTail(this.#rows.vectors.readRange(this.#tailFrom, count));
  }

  /**
   * Before a snapshot: which live rows of the exact scan the graph cannot
   * reach from their own vector (at the collection's search breadth, in one
   * batched call). Those stay in the scan; the rest leave it.
   */
  #findUnreachable(): number[] {
    const scanned = [...this.#unreachable];
    for (let at = 0; at < this.#tail.count; at++) scanned.push(this.#tailFrom + at);
    const live = scanned.filter((s) => !this.#deleted.has(s) && s < this.#graphEnd);
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
    this.#pendingSnapshotDir = snapshotDir;
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
    this.#snapshotDir = this.#pendingSnapshotDir;
    this.#deletedSince = { count: 0, slots: sharedInts(0) };
  }

  close(): void {
    this.#closed = true;
    this.#rows.close();
  }

  /**
   * Maps the graph from its huge-page copy once the copy is made. Searches are
   * synchronous on this thread, so the switch falls between two of them; the
   * copy holds the same bytes, so no answer changes.
   */
  async #switchToCopy(indexPath: string, hugePagesDir: string): Promise<MappedGraph> {
    const mapped = await copyToHugePages(indexPath, hugePagesDir);
    if (this.#closed || mapped.fallback) return mapped;
    try {
      this.#index.view(mapped.path);
    } catch (err) {
      // Gone meanwhile (a newer snapshot's reader dropped it). A failed view
      // leaves usearch's index empty: map the store's file again.
      this.#index.view(indexPath);
      return { path: indexPath, fallback: `${mapped.path}: ${(err as Error).message}` };
    }
    this.mappedGraph = mapped;
    return mapped;
  }
}

/** Zeroed int32s on shared memory. */
function sharedInts(length: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(length * Int32Array.BYTES_PER_ELEMENT));
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
