import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { DEFAULT_INDEX, MAX_EF, validateCollectionSpec } from '../../core/collection-spec.ts';
import {
  ConflictError,
  InvalidRequestError,
  NotFoundError,
  ServiceError,
  UnavailableError,
} from '../../core/errors.ts';
import { makeDirs } from '../../core/make-dirs.ts';
import {
  type CollectionInfo,
  type CollectionSchema,
  type CollectionSpec,
  type Hit,
  type IndexType,
  type Row,
  searchParamOf,
} from '../../core/types.ts';
import type {
  CallOptions,
  Health,
  ImportState,
  IndexProgress,
  PoolFigures,
  RowColumns,
  SearchBackend,
  SearchOptions,
  WriteOptions,
  WriteResult,
} from '../search-backend.ts';
import { encodedCall, Http2EncodedCalls } from './encoded-call.ts';
import { encodeInsertRequest } from './insert-request.ts';
import { toMilvusExpression } from './milvus-expression.ts';
import { createMilvusClient } from './milvus-pool.ts';
import { IndexReadiness } from './milvus-readiness.ts';
import {
  buildParams,
  type CachedSchema,
  DESCRIPTION_KEY,
  newCollectionFields,
  type SearchDefaults,
  scalarColumns,
  schemaFromMilvus,
  VECTOR,
} from './milvus-schema.ts';
import {
  check,
  firstLine,
  isConnectionError,
  isNotFound,
  type MilvusStatus,
} from './milvus-status.ts';
import { writeFloat32Matrix, writeNpyColumn } from './npy.ts';
import { CONSISTENCY_LEVEL, encodeSearchRequest, readSearchResults } from './search-request.ts';

/**
 * Where the backend gets Milvus clients: one endpoint's pool (MilvusPool) or
 * several endpoints behind a balancer (BalancedMilvusPool). `write` calls are
 * never retried on another endpoint; `key` (the collection) is what
 * consistent hashing keys on.
 */
export interface MilvusClientSource {
  readonly address: string;
  use<T>(
    fn: (client: MilvusClient) => Promise<T>,
    opts?: {
      signal?: AbortSignal;
      isConnectionError?: (err: unknown) => boolean;
      write?: boolean;
      key?: string;
    },
  ): Promise<T>;
  drain(): Promise<void>;
  /** Own health check (several endpoints); without one the backend probes `address`. */
  health?(opts?: CallOptions): Promise<Health>;
  /** Clients open, lent out, and calls waiting for one (summed over endpoints). */
  connections?(): PoolFigures;
}

export interface MilvusBackendOptions {
  pool: MilvusClientSource;
  /** How long a collection's schema is cached for request validation. @default 10000 */
  schemaTtlMs?: number;
  /** gRPC deadline of one call, also used for /readyz probes. @default 10000 */
  callTimeoutMs?: number;
  /** In-memory replicas a new collection is loaded with (Milvus's replica_number). @default 1 */
  replicas?: number;
  /**
   * Consistency level of searches (null: the collection's own, Bounded unless set). Eventually
   * never waits for the cluster's time tick: searches go on while a dead proxy's session or a
   * stopped message queue holds the tick back, at the cost of not promising to see writes
   * acknowledged in the last moments.
   */
  consistency?: 'Strong' | 'Bounded' | 'Session' | 'Eventually' | null;
  /**
   * When a filtered search returns fewer than topK hits, retry with 4x the ef
   * this many times. Milvus 2.x filters inside the graph walk and needs none;
   * Milvus Lite post-filters `ef` candidates and does (docs/milvus-compat.md).
   * @default 2
   */
  filteredEfRetries?: number;
  /**
   * How searches reach Milvus: gRPC on HTTP/2 connections of our own (less CPU per search
   * than grpc-js, docs/milvus-transport.md), or the SDK's grpc-js channels. Every other call
   * uses the SDK. @default 'http2'
   */
  searchTransport?: 'http2' | 'grpc-js';
  clock?: () => number;
}

/** `work`'s outcome, or the signal's reason as soon as it aborts (the work goes on). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * SearchBackend on a Milvus server, through a pool of clients. Requests
 * validate against a briefly cached schema; every call carries the pool's
 * gRPC deadline and is abandoned (not waited for) when the request's signal
 * fires. Collections it creates have a VarChar primary key `id`, a
 * FloatVector `embedding` and one scalar field per declared field; it also
 * serves other collections whose primary key and vector field it can find.
 */
export class MilvusBackend implements SearchBackend {
  readonly kind = 'milvus';
  readonly #pool: MilvusClientSource;
  readonly #schemas = new Map<string, CachedSchema>();
  /** Schema fetches in flight, one per collection. */
  readonly #refreshing = new Map<string, Promise<CachedSchema>>();
  readonly #ttl: number;
  readonly #callTimeout: number;
  readonly #replicas: number;
  /** MILVUS_CONSISTENCY as Milvus's ConsistencyLevel number; null: each collection's own. */
  readonly #consistencyLevel: number | null;
  readonly #retries: number;
  readonly #clock: () => number;
  /** Searches on our own HTTP/2 connections (null: on the SDK's grpc-js channels). */
  readonly #http2: Http2EncodedCalls | null;
  /**
   * The health check's own client, outside the pool (a saturated pool must not look like a
   * dead server), replaced after each failure so that it dials afresh.
   */
  #healthClient: MilvusClient | null = null;
  readonly #readiness = new IndexReadiness({
    listCollections: (opts) => this.listCollections(opts),
    indexProgress: (name, opts) => this.indexProgress(name, opts),
    loadState: (name, opts) => this.#loadState(name, opts),
  });
  #closed = false;

  constructor(opts: MilvusBackendOptions) {
    this.#pool = opts.pool;
    this.#ttl = opts.schemaTtlMs ?? 10_000;
    this.#callTimeout = opts.callTimeoutMs ?? 10_000;
    this.#replicas = opts.replicas ?? 1;
    this.#consistencyLevel = opts.consistency
      ? (CONSISTENCY_LEVEL[opts.consistency] ?? null)
      : null;
    this.#retries = opts.filteredEfRetries ?? 2;
    this.#clock = opts.clock ?? Date.now;
    this.#http2 = opts.searchTransport === 'grpc-js' ? null : new Http2EncodedCalls();
  }

  /** Runs a call on a pooled client; maps transport failures to 503, aborts to the signal's reason. */
  async #call<T>(
    opts: CallOptions | undefined,
    fn: (c: MilvusClient) => Promise<T>,
    route: { write?: boolean; key?: string } = {},
  ): Promise<T> {
    if (this.#closed) throw new UnavailableError('Milvus backend is closed');
    const work = this.#pool
      .use(fn, { signal: opts?.signal, isConnectionError, write: route.write, key: route.key })
      .catch((err: unknown) => {
        if (err instanceof ServiceError) throw err;
        if (isConnectionError(err)) {
          throw new UnavailableError(
            `Milvus at ${this.#pool.address} is unreachable: ${firstLine(err)}`,
            {
              reason: 'milvus_unavailable',
            },
          );
        }
        // Anything else the SDK throws is the backend failing, never a 500 of ours.
        throw new UnavailableError(`Milvus call failed: ${firstLine(err)}`, {
          reason: 'milvus_error',
        });
      });
    // The SDK cannot cancel an RPC; stop waiting for it (its own gRPC deadline ends it).
    return untilAborted(work, opts?.signal);
  }

  async listCollections(opts?: CallOptions): Promise<string[]> {
    const res = await this.#call(opts, (c) => c.showCollections({ timeout: this.#callTimeout }));
    check(res.status, 'showCollections');
    return res.data.map((d) => d.name).sort();
  }

  /**
   * The collection's schema and index, fetched at most once per TTL. A search never waits for
   * a refresh: past the TTL the cached entry is served while one refresh runs in the
   * background, and concurrent first lookups share one fetch. Measured at c=50 over Milvus:
   * when the entry expired, every search arriving before the answer sent its own describe
   * pair (20-23 at once), they held all 16 pooled clients, and the searches behind them were
   * refused after the pool's 100 ms wait (pool_timeout), every 10 s.
   */
  async #cached(name: string, opts?: CallOptions): Promise<CachedSchema> {
    const hit = this.#schemas.get(name);
    if (hit && this.#clock() - hit.fetchedAt < this.#ttl) return hit;
    const refresh = this.#refreshing.get(name) ?? this.#refresh(name);
    return hit ?? untilAborted(refresh, opts?.signal);
  }

  /** One fetch of a collection's schema, stored unless the collection was forgotten meanwhile. */
  #refresh(name: string): Promise<CachedSchema> {
    const current = () => this.#refreshing.get(name) === refresh;
    const refresh = this.#fetchSchema(name)
      .then(
        (fresh) => {
          if (current()) this.#schemas.set(name, fresh);
          return fresh;
        },
        (err: unknown) => {
          // Gone (dropped elsewhere): the next search says 404. A failing Milvus keeps the
          // entry: the search's own call reports the outage.
          if (current() && err instanceof NotFoundError) this.#schemas.delete(name);
          throw err;
        },
      )
      .finally(() => {
        if (current()) this.#refreshing.delete(name);
      });
    // A background refresh has no one awaiting it; its failure is not unhandled.
    refresh.catch(() => undefined);
    this.#refreshing.set(name, refresh);
    return refresh;
  }

  /** The next lookup fetches afresh (after a create, drop or an explicit describe). */
  #forget(name: string): void {
    this.#schemas.delete(name);
    this.#refreshing.delete(name);
  }

  async #fetchSchema(name: string): Promise<CachedSchema> {
    const [desc, index] = await this.#call(
      undefined,
      (c) =>
        Promise.all([
          c.describeCollection({ collection_name: name, timeout: this.#callTimeout }),
          c.describeIndex({ collection_name: name, timeout: this.#callTimeout }),
        ]),
      { key: name },
    );
    return schemaFromMilvus(name, desc, index, this.#clock());
  }

  async schema(name: string, opts?: CallOptions): Promise<CollectionSchema> {
    return (await this.#cached(name, opts)).schema;
  }

  async describe(name: string, opts?: CallOptions): Promise<CollectionInfo> {
    this.#forget(name); // describe is the explicit, fresh look
    const s = await this.#cached(name, opts);
    const count = await this.#call(
      opts,
      async (c) => {
        // count(*) needs a loaded collection (and the SDK throws a TypeError on
        // an empty answer); fall back to the segment statistics.
        try {
          const r = await c.count({ collection_name: name, timeout: this.#callTimeout });
          if (Number.isFinite(r.data)) return r.data;
        } catch (err) {
          if (isConnectionError(err)) throw err;
        }
        const stats = await c.getCollectionStatistics({
          collection_name: name,
          timeout: this.#callTimeout,
        });
        return Number(stats.data?.row_count ?? 0);
      },
      { key: name },
    );
    return { ...s.schema, count, index: s.index, writable: true };
  }

  async createCollection(spec: CollectionSpec, opts?: CallOptions): Promise<CollectionInfo> {
    const valid = validateCollectionSpec(spec);
    const index = { ...DEFAULT_INDEX, ...valid.index };
    if (index.quantization !== 'f32') {
      throw new InvalidRequestError(
        `index.quantization "${index.quantization}" is an embedded-backend storage; Milvus ` +
          'quantizes with its index type instead (IVF_SQ8, IVF_PQ; use "f32" or omit it)',
      );
    }
    if (valid.index?.oversampling !== undefined) {
      throw new InvalidRequestError(
        "index.oversampling re-scores candidates from the embedded store's raw vectors; Milvus re-ranks nothing (omit it)",
      );
    }
    const name = valid.name;
    const type: IndexType = valid.index?.type ?? 'HNSW';
    const searchDefaults: SearchDefaults = {
      ...(valid.index?.efSearch !== undefined ? { efSearch: valid.index.efSearch } : {}),
      ...(valid.index?.nprobe !== undefined ? { nprobe: valid.index.nprobe } : {}),
      ...(valid.index?.searchList !== undefined ? { searchList: valid.index.searchList } : {}),
    };
    await this.#call(
      opts,
      async (c) => {
        const exists = await c.hasCollection({ collection_name: name, timeout: this.#callTimeout });
        if (exists.value) throw new ConflictError(`collection "${name}" already exists`);
        check(
          await c.createCollection({
            collection_name: name,
            timeout: this.#callTimeout,
            description: JSON.stringify({ [DESCRIPTION_KEY]: searchDefaults }),
            fields: newCollectionFields(valid),
          }),
          'createCollection',
        );
        check(
          await c.createIndex({
            collection_name: name,
            field_name: VECTOR,
            index_type: type,
            metric_type: valid.metric,
            params: buildParams(type, valid.index ?? {}, valid.dimension),
            timeout: this.#callTimeout,
          }),
          'createIndex',
        );
        check(
          await c.loadCollectionSync({
            collection_name: name,
            replica_number: this.#replicas,
            timeout: 120_000,
          }),
          'loadCollection',
        );
      },
      { write: true, key: name },
    );
    this.#forget(name);
    return this.describe(name, opts);
  }

  async dropCollection(name: string, opts?: CallOptions): Promise<void> {
    await this.#cached(name, opts); // 404 for an unknown collection
    await this.#call(
      opts,
      async (c) =>
        check(
          await c.dropCollection({ collection_name: name, timeout: this.#callTimeout }),
          'dropCollection',
        ),
      { write: true, key: name },
    );
    this.#forget(name);
  }

  /**
   * One Milvus call for all query vectors (nq = vectors.length), with
   * ef = max(ef, topK). The primary key is named in output_fields explicitly:
   * Milvus returns it only then, and returns every field (vectors included)
   * when output_fields is empty.
   */
  async search(name: string, vectors: Float32Array[], opts: SearchOptions): Promise<Hit[][]> {
    if (opts.oversampling !== undefined) {
      throw new InvalidRequestError(
        "params.oversampling re-scores candidates from the embedded store's raw vectors; Milvus re-ranks nothing (omit it)",
      );
    }
    const s = await this.#cached(name, opts);
    for (const v of vectors) {
      if (v.length !== s.schema.dimension) {
        throw new InvalidRequestError(
          `vector has ${v.length} dimensions; collection "${name}" has ${s.schema.dimension}`,
        );
      }
    }
    const filter = toMilvusExpression(opts.filter);
    const takes = searchParamOf(s.schema.indexType);
    if (takes !== 'ef') {
      // IVF_*, DISKANN, FLAT: one search with the index's own parameter (the
      // request's was checked against the index type by the HTTP layer).
      const params: Record<string, number> =
        takes === 'nprobe'
          ? { nprobe: opts.nprobe ?? s.index.nprobe ?? DEFAULT_INDEX.nprobe! }
          : takes === 'searchList'
            ? {
                search_list: Math.min(
                  MAX_EF,
                  Math.max(
                    opts.topK,
                    opts.searchList ?? s.index.searchList ?? DEFAULT_INDEX.searchList!,
                  ),
                ),
              }
            : {};
      return this.#searchOnce(name, s, vectors, filter, params, opts);
    }
    let ef = Math.min(
      MAX_EF,
      Math.max(opts.topK, opts.ef ?? s.index.efSearch ?? DEFAULT_INDEX.efSearch),
    );
    let hits = await this.#searchOnce(name, s, vectors, filter, { ef }, opts);
    for (let retry = 0; filter && retry < this.#retries && ef < MAX_EF; retry++) {
      if (hits.every((h) => h.length >= opts.topK)) break;
      ef = Math.min(MAX_EF, ef * 4);
      const wider = await this.#searchOnce(name, s, vectors, filter, { ef }, opts);
      const grew = wider.some((h, i) => h.length > hits[i]!.length);
      hits = wider;
      if (!grew) break;
    }
    return hits;
  }

  /**
   * One search call, encoded by hand (search-request.ts) on a channel of the
   * SDK's pool: the query vectors go in as their bytes, the answer is decoded
   * by the SDK's own definition and read into hits without its per-call
   * formatting.
   */
  async #searchOnce(
    name: string,
    s: CachedSchema,
    vectors: Float32Array[],
    filter: string,
    params: Record<string, number>,
    opts: SearchOptions,
  ): Promise<Hit[][]> {
    const request = encodeSearchRequest({
      collection: name,
      annsField: s.vectorField,
      metric: s.schema.metric,
      topK: opts.topK,
      params,
      filter,
      outputFields: opts.outputFields,
      consistencyLevel: this.#consistencyLevel ?? s.consistencyLevel,
      vectors,
    });
    const http2 = this.#http2;
    const res = await this.#call(
      opts,
      (c) =>
        http2
          ? http2.call(c, 'Search', request, { timeoutMs: this.#callTimeout, signal: opts.signal })
          : encodedCall(c, 'Search', request, this.#callTimeout),
      { key: name },
    );
    check(res.status as MilvusStatus, 'search');
    return readSearchResults(
      res as Parameters<typeof readSearchResults>[0],
      vectors.length,
      opts.outputFields,
    ) as Hit[][];
  }

  /**
   * Inserts or upserts. Success means Milvus accepted the rows into its log
   * (durable in its message storage, visible to searches within the
   * collection's consistency bound): `durability: 'logged'`. Call flush for
   * sealed, indexed segments.
   */
  async write(name: string, rows: Row[], opts: WriteOptions): Promise<WriteResult> {
    const s = await this.#cached(name, opts);
    const ids = rows.map((r) => r.id ?? crypto.randomUUID());
    if (opts.mode === 'insert') {
      const taken = await this.#existing(name, s, ids, opts);
      if (taken.length > 0) {
        throw new ConflictError(
          `ids already exist: ${taken
            .slice(0, 5)
            .map((i) => JSON.stringify(i))
            .join(', ')}; use mode "upsert" to replace rows`,
        );
      }
    }
    const data = rows.map((r, i) => ({ [s.pk]: ids[i], [s.vectorField]: r.vector, ...r.fields }));
    await this.#call(
      opts,
      async (c) => {
        const res =
          opts.mode === 'insert'
            ? await c.insert({ collection_name: name, data, timeout: this.#callTimeout })
            : await c.upsert({ collection_name: name, data, timeout: this.#callTimeout });
        check(res.status, opts.mode);
      },
      { write: true, key: name },
    );
    return { ids, durability: 'logged' };
  }

  /**
   * A bulk load's write: the columns encoded into one Insert/Upsert request by
   * hand (insert-request.ts) and sent on a channel of the SDK's pool. `insert`
   * does not look for existing ids: the loader sends ids it knows are new and
   * upserts the ones it is not sure of (see src/data/fill-collection.ts).
   */
  async writeColumns(name: string, columns: RowColumns, opts: WriteOptions): Promise<void> {
    const s = await this.#cached(name, opts);
    const request = encodeInsertRequest(name, {
      rows: columns.ids.length,
      vector: { name: s.vectorField, dimension: s.schema.dimension, values: columns.vectors },
      scalars: scalarColumns(name, s, columns),
    });
    const method = opts.mode === 'insert' ? 'Insert' : 'Upsert';
    await this.#call(
      opts,
      async (c) =>
        check((await encodedCall(c, method, request, this.#callTimeout)) as never, opts.mode),
      { write: true, key: name },
    );
  }

  async writeImportFiles(name: string, columns: RowColumns, dir: string): Promise<void> {
    const s = await this.#cached(name);
    const scalars = scalarColumns(name, s, columns);
    makeDirs(dir);
    writeFloat32Matrix(join(dir, `${s.vectorField}.npy`), columns.vectors, s.schema.dimension);
    for (const [field, column] of Object.entries(scalars))
      writeNpyColumn(join(dir, `${field}.npy`), column);
  }

  /** Hands Milvus every .npy file in `dir` (one per field) as one import. */
  async importFiles(name: string, dir: string): Promise<string> {
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.npy'))
      .map((f) => join(dir, f));
    const res = await this.#call(
      undefined,
      (c) => c.bulkInsert({ collection_name: name, files, timeout: this.#callTimeout }),
      { write: true, key: name },
    );
    check(res.status, 'bulkInsert');
    const task = res.tasks?.[0];
    if (task === undefined) throw new UnavailableError('Milvus bulkInsert answered no task id');
    return String(task);
  }

  async importState(id: string): Promise<ImportState> {
    const res = await this.#call(undefined, (c) =>
      // Task ids are int64: passed on as the string Milvus gave.
      c.getImportState({ task: id as unknown as number, timeout: this.#callTimeout }),
    );
    check(res.status, 'getImportState');
    const state = String(res.state);
    const reason = res.infos?.find((kv) => kv.key === 'failed_reason')?.value;
    return {
      state: /Failed/.test(state) ? 'failed' : /Completed/.test(state) ? 'done' : 'pending',
      rows: Number(res.row_count ?? 0),
      ...(reason ? { reason: String(reason) } : {}),
    };
  }

  async #existing(
    name: string,
    s: CachedSchema,
    ids: string[],
    opts?: CallOptions,
  ): Promise<string[]> {
    const res = await this.#call(
      opts,
      (c) =>
        c.query({
          collection_name: name,
          filter: toMilvusExpression([{ field: s.pk, op: 'in', values: ids }]),
          output_fields: [s.pk],
          consistency_level: 'Strong' as never,
          timeout: this.#callTimeout,
        }),
      { key: name },
    );
    check(res.status, 'query');
    return res.data.map((d) => String(d[s.pk]));
  }

  /** Deletes the ids that exist and reports how many did (Milvus itself counts the ids sent). */
  async delete(name: string, ids: string[], opts?: CallOptions): Promise<{ deleted: number }> {
    const s = await this.#cached(name, opts);
    const existing = await this.#existing(name, s, ids, opts);
    if (existing.length === 0) return { deleted: 0 };
    await this.#call(
      opts,
      async (c) => {
        check(
          (await c.delete({ collection_name: name, ids: existing, timeout: this.#callTimeout }))
            .status,
          'delete',
        );
      },
      { write: true, key: name },
    );
    return { deleted: existing.length };
  }

  async flush(name: string, opts?: CallOptions): Promise<void> {
    await this.#call(
      opts,
      async (c) =>
        check(await c.flushSync({ collection_names: [name], timeout: 120_000 }), 'flush'),
      { write: true, key: name },
    );
  }

  async indexProgress(name: string, opts?: CallOptions): Promise<IndexProgress | null> {
    const index = await this.#call(
      opts,
      (c) => c.describeIndex({ collection_name: name, timeout: this.#callTimeout }),
      { key: name },
    );
    if (isNotFound(index.status)) throw new NotFoundError(`collection "${name}" does not exist`);
    const d = index.index_descriptions?.[0];
    if (!d) return null; // no index: nothing to wait for
    return {
      indexed: Number(d.indexed_rows),
      total: Number(d.total_rows),
      pending: Number(d.pending_index_rows ?? 0),
    };
  }

  /** The collection's load state as Milvus names it (LoadStateLoaded when searchable). */
  async #loadState(name: string, opts?: CallOptions): Promise<string> {
    const load = await this.#call(opts, (c) =>
      c.getLoadState({ collection_name: name, timeout: this.#callTimeout }),
    );
    return String(load.state);
  }

  connections(): PoolFigures | null {
    return this.#pool.connections?.() ?? null;
  }

  async health(opts?: CallOptions): Promise<Health> {
    const up = await this.reachable(opts);
    if (!up.ok) return up;
    try {
      return await this.#readiness.check(opts);
    } catch (err) {
      return { ok: false, reason: `index state unknown: ${firstLine(err)}` };
    }
  }

  /** Milvus answers (health check only; an index still building does not count). */
  async reachable(opts?: CallOptions): Promise<Health> {
    if (this.#closed) return { ok: false, reason: 'backend is closed' };
    if (this.#pool.health) return this.#pool.health(opts);
    this.#healthClient ??= createMilvusClient(this.#pool.address, {
      separateConnection: true,
      sdkPoolMax: 1,
      timeoutMs: Math.min(this.#callTimeout, 2000),
    });
    const client = this.#healthClient;
    try {
      opts?.signal?.throwIfAborted();
      const res = await client.checkHealth();
      if (res.isHealthy) return { ok: true };
      return {
        ok: false,
        reason: `Milvus reports unhealthy: ${(res.reasons ?? []).join('; ') || 'no reason given'}`,
      };
    } catch (err) {
      this.#healthClient = null;
      await client.closeConnection().catch(() => undefined);
      return {
        ok: false,
        reason: `Milvus at ${this.#pool.address} unreachable: ${firstLine(err)}`,
      };
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#http2?.close();
    await this.#pool.drain();
    await this.#healthClient?.closeConnection().catch(() => undefined);
  }
}
