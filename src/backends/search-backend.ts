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
  delete(name: string, ids: string[], opts?: CallOptions): Promise<{ deleted: number }>;
  /** Makes acknowledged writes part of the persisted, indexed state (snapshot / Milvus flush). */
  flush(name: string, opts?: CallOptions): Promise<void>;
  health(opts?: CallOptions): Promise<Health>;
  /** A backend that reaches its store through a connection pool says how it is used. */
  connections?(): PoolFigures | null;
  close(): Promise<void>;
}

/** A connection pool's use right now: open, lent out, and calls waiting for one. */
export interface PoolFigures {
  size: number;
  borrowed: number;
  /** Calls waiting for a connection: above zero, the pool is the bottleneck. */
  waiting: number;
}
