import type { Filter } from '../core/filter.ts';
import type { CollectionInfo, CollectionSchema, CollectionSpec, Hit, Row } from '../core/types.ts';

export interface CallOptions {
  /** Aborted when the request's deadline passes or its client goes away. */
  signal?: AbortSignal;
}

export interface SearchOptions extends CallOptions {
  topK: number;
  filter: Filter;
  /** Scalar fields to return with each hit; none when empty. */
  outputFields: string[];
  /** HNSW search breadth; the backend uses max(ef, topK). */
  ef?: number;
  /** IVF_*: clusters searched. */
  nprobe?: number;
  /** DISKANN: candidate list; the backend uses max(searchList, topK). */
  searchList?: number;
  /** Embedded HNSW: topK x oversampling candidates, scored exactly (the collection's default when absent). */
  oversampling?: number;
}

export interface WriteOptions extends CallOptions {
  /** `insert` refuses ids that exist; `upsert` replaces them. */
  mode: 'insert' | 'upsert';
}

/**
 * Rows as columns, for bulk loads: ids, one Float32Array of `ids.length` x
 * dimension floats, and each scalar field's values in row order.
 */
export interface RowColumns {
  ids: string[];
  vectors: Float32Array;
  fields: Record<string, (string | number | boolean)[]>;
}

export interface ImportState {
  state: 'pending' | 'done' | 'failed';
  rows: number;
  /** Why it failed, as the store says. */
  reason?: string;
}

export interface IndexProgress {
  indexed: number;
  total: number;
  /** Rows waiting for the index (sealed, not built yet). */
  pending: number;
}

export interface WriteResult {
  ids: string[];
  /** What the backend guarantees once this call returns (see README, "Writes"). */
  durability: 'fsynced' | 'logged' | 'flushed';
}

export interface Health {
  ok: boolean;
  /** Why the backend is not ready, when ok is false. */
  reason?: string;
}

/**
 * What the HTTP layer needs from a vector store. Implementations: the embedded
 * in-process index (src/backends/embedded) and Milvus (src/backends/milvus).
 * Errors are ServiceErrors (NotFound, Unavailable, ReadOnly, ...).
 */
export interface SearchBackend {
  readonly kind: string;
  /**
   * Whether search() and schema() stop early when their `signal` aborts (a call
   * over the network does). An in-process search runs to its end once started,
   * so the server makes no AbortSignal for it (an EventTarget per request cost
   * 2% of a search request's CPU). @default true
   */
  readonly honoursAbort?: boolean;
  listCollections(opts?: CallOptions): Promise<string[]>;
  describe(name: string, opts?: CallOptions): Promise<CollectionInfo>;
  /** Dimension, metric and fields, for validating requests; may be cached briefly. */
  schema(name: string, opts?: CallOptions): Promise<CollectionSchema>;
  createCollection(spec: CollectionSpec, opts?: CallOptions): Promise<CollectionInfo>;
  dropCollection(name: string, opts?: CallOptions): Promise<void>;
  /** One result list per query vector, best first. Several vectors are one backend call. */
  search(name: string, vectors: Float32Array[], opts: SearchOptions): Promise<Hit[][]>;
  write(name: string, rows: Row[], opts: WriteOptions): Promise<WriteResult>;
  /**
   * A bulk load's write: like write() (`insert` does not look for existing ids
   * here: the loader keeps them fresh), without a row object per row. Optional:
   * a loader falls back to write().
   */
  writeColumns?(name: string, columns: RowColumns, opts: WriteOptions): Promise<void>;
  /**
   * A bulk load through the store's own file import (Milvus bulk insert):
   * writeImportFiles() writes the columns as files in `dir` (which the store
   * must read at the same path), importFiles() hands them over and answers the
   * import's id; rows are not visible until importState() says it is done.
   * Optional, all three or none.
   */
  writeImportFiles?(name: string, columns: RowColumns, dir: string): Promise<void>;
  importFiles?(name: string, dir: string): Promise<string>;
  importState?(id: string): Promise<ImportState>;
  delete(name: string, ids: string[], opts?: CallOptions): Promise<{ deleted: number }>;
  /** Makes acknowledged writes part of the persisted, indexed state (snapshot / Milvus flush). */
  flush(name: string, opts?: CallOptions): Promise<void>;
  health(opts?: CallOptions): Promise<Health>;
  /**
   * How far a collection's index covers its rows, for a store that builds it
   * apart from the writes (Milvus); null for a collection without an index,
   * absent where flush() returns indexed.
   */
  indexProgress?(name: string, opts?: CallOptions): Promise<IndexProgress | null>;
  /** A backend that reaches its store through a connection pool says how it is used. */
  connections?(): PoolFigures | null;
  /** A backend with search threads says where its searches ran since it started. */
  searchPlaces?(): SearchPlaces | null;
  close(): Promise<void>;
}

/**
 * Searches since start, by where they ran: on a search thread, or on the
 * event loop (no threads, or a collection they cannot answer for yet), and
 * thread answers that failed or were overtaken by a checkpoint (both then
 * searched on the loop).
 */
export interface SearchPlaces {
  threads: number;
  loop: number;
  threadFailures: number;
  threadStale: number;
}

/** A connection pool's use right now: open, lent out, and calls waiting for one. */
export interface PoolFigures {
  size: number;
  borrowed: number;
  /** Calls waiting for a connection: above zero, the pool is the bottleneck. */
  waiting: number;
}
