import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { validateCollectionSpec } from '../../core/collection-spec.ts';
import {
  ConflictError,
  InvalidRequestError,
  NotFoundError,
  ReadOnlyError,
  UnavailableError,
} from '../../core/errors.ts';
import { LockFile } from '../../core/lock-file.ts';
import type {
  CollectionInfo,
  CollectionSchema,
  CollectionSpec,
  Fields,
  Hit,
  Row,
} from '../../core/types.ts';
import type {
  CallOptions,
  Health,
  SearchBackend,
  SearchOptions,
  WriteOptions,
  WriteResult,
} from '../search-backend.ts';
import {
  EmbeddedCollection,
  fsyncPath,
  type OpenMode,
  writeDurably,
} from './embedded-collection.ts';
import { WriteAheadLog } from './write-ahead-log.ts';

export interface EmbeddedBackendOptions {
  /** Root of the on-disk state: `<dataDir>/collections/<name>/`. */
  dataDir: string;
  /**
   * `writable`: this process owns the data directory (an exclusive lock) and
   * accepts writes. `shared`: the index files are memory-mapped read-only, so
   * several workers can serve them; writes are refused with a clear error.
   */
  mode: OpenMode;
  /** Filtered searches matching at most this many rows are answered exactly. @default 2048 */
  bruteForceLimit?: number;
  /** Fold the write-ahead log into a snapshot once it grows past this. @default 64 MiB */
  checkpointBytes?: number;
}

interface WalHeader {
  seq: number;
  op: 'upsert' | 'delete';
  ids: string[];
  fields?: Fields[];
}

interface Entry {
  collection: EmbeddedCollection;
  dir: string;
  wal: WriteAheadLog<WalHeader>;
  /** Writes to one collection run one at a time, in arrival order. */
  tail: Promise<unknown>;
}

const CURRENT = 'CURRENT';
const WAL_FILE = 'wal.log';

/**
 * The default backend: an in-process HNSW index (usearch) per collection, with
 * a write-ahead log fsynced before each write is acknowledged and snapshots that
 * are swapped in atomically (a new `snap-N/` directory, then `CURRENT` renamed).
 *
 * @example
 * const backend = new EmbeddedBackend({ dataDir: '.data', mode: 'writable' });
 * await backend.init();
 */
export class EmbeddedBackend implements SearchBackend {
  readonly kind = 'embedded';
  readonly options: Required<EmbeddedBackendOptions>;
  #entries = new Map<string, Entry>();
  #lock: LockFile;
  #closed = false;

  constructor(options: EmbeddedBackendOptions) {
    this.options = {
      bruteForceLimit: 2048,
      checkpointBytes: 64 * 1024 * 1024,
      ...options,
    };
    this.#lock = new LockFile(join(options.dataDir, 'writer.lock'));
  }

  get #collectionsDir(): string {
    return join(this.options.dataDir, 'collections');
  }

  /** Takes the writer lock (writable mode) and opens every collection on disk. */
  async init(): Promise<void> {
    mkdirSync(this.#collectionsDir, { recursive: true });
    if (this.options.mode === 'writable') {
      const r = this.#lock.tryAcquire();
      if (!r.acquired) {
        throw new UnavailableError(
          `data directory ${this.options.dataDir} is open for writing by pid ${r.holder}; ` +
            'stop it, or serve the data read-only from several workers with INDEX_MODE=shared',
        );
      }
    }
    for (const name of readdirSync(this.#collectionsDir)) {
      const dir = join(this.#collectionsDir, name);
      if (existsSync(join(dir, CURRENT))) this.#open(name, dir);
    }
  }

  /**
   * Runs `prepare` with a writable backend under the writer lock (waiting for
   * it), then opens the data read-only. This is how cluster workers start: the
   * first one builds the demo data or folds a leftover log, the others wait and
   * then map the same files.
   */
  static async openShared(
    options: Omit<EmbeddedBackendOptions, 'mode'>,
    prepare: (writable: EmbeddedBackend) => Promise<void>,
    lockTimeoutMs = 300_000,
  ): Promise<EmbeddedBackend> {
    mkdirSync(options.dataDir, { recursive: true });
    const lock = new LockFile(join(options.dataDir, 'writer.lock'));
    await lock.acquire(lockTimeoutMs);
    try {
      const writable = new EmbeddedBackend({ ...options, mode: 'writable' });
      writable.#lock = lock; // already held
      await writable.init();
      await prepare(writable);
      await writable.close();
    } finally {
      lock.release();
    }
    const shared = new EmbeddedBackend({ ...options, mode: 'shared' });
    await shared.init();
    return shared;
  }

  #open(name: string, dir: string): void {
    const snap = readFileSync(join(dir, CURRENT), 'utf8').trim();
    const collection = EmbeddedCollection.open(
      join(dir, snap),
      this.options.mode,
      this.options.bruteForceLimit,
    );
    const wal = new WriteAheadLog<WalHeader>(join(dir, WAL_FILE));
    const records = wal.replay().filter((r) => r.header.seq > collection.walSeq);
    if (records.length > 0 && this.options.mode === 'shared') {
      throw new UnavailableError(
        `collection "${name}" has ${records.length} logged writes not yet in its snapshot; ` +
          'open it writable once (or via openShared) to fold them in',
      );
    }
    const dim = collection.spec.dimension;
    for (const { header, payload } of records) {
      if (header.op === 'upsert') {
        const vectors = new Float32Array(header.ids.length * dim);
        new Uint8Array(vectors.buffer).set(payload);
        collection.upsert(header.ids, header.fields ?? [], vectors);
      } else {
        collection.delete(header.ids);
      }
      collection.walSeq = header.seq;
    }
    this.#entries.set(name, { collection, dir, wal, tail: Promise.resolve() });
  }

  #entry(name: string): Entry {
    if (this.#closed) throw new UnavailableError('backend is closed');
    const e = this.#entries.get(name);
    if (!e) throw new NotFoundError(`collection "${name}" does not exist`);
    return e;
  }

  #writableEntry(name: string): Entry {
    const e = this.#entry(name);
    if (this.options.mode !== 'writable') {
      throw new ReadOnlyError(
        `collection "${name}" is served read-only: several workers share one memory-mapped ` +
          'index file (INDEX_MODE=shared). Write through a single writable process ' +
          '(WORKERS=1) or use BACKEND=milvus',
      );
    }
    return e;
  }

  /** Runs `fn` after every earlier write to the collection has finished. */
  #serialize<T>(e: Entry, fn: () => Promise<T>): Promise<T> {
    const run = e.tail.then(fn, fn);
    e.tail = run.catch(() => undefined);
    return run;
  }

  async listCollections(): Promise<string[]> {
    return [...this.#entries.keys()].sort();
  }

  async describe(name: string): Promise<CollectionInfo> {
    return this.#entry(name).collection.info();
  }

  async schema(name: string): Promise<CollectionSchema> {
    return this.#entry(name).collection.schema;
  }

  async createCollection(spec: CollectionSpec): Promise<CollectionInfo> {
    if (this.options.mode !== 'writable') {
      throw new ReadOnlyError('collections cannot be created while serving read-only (shared)');
    }
    const valid = validateCollectionSpec(spec);
    if (this.#entries.has(valid.name)) {
      throw new ConflictError(`collection "${valid.name}" already exists`);
    }
    const dir = join(this.#collectionsDir, valid.name);
    rmSync(dir, { recursive: true, force: true }); // leftovers of a create that crashed
    mkdirSync(dir, { recursive: true });
    const collection = EmbeddedCollection.create(valid, this.options.bruteForceLimit);
    const entry: Entry = {
      collection,
      dir,
      wal: new WriteAheadLog<WalHeader>(join(dir, WAL_FILE)),
      tail: Promise.resolve(),
    };
    this.#snapshot(entry);
    this.#entries.set(valid.name, entry);
    return collection.info();
  }

  async dropCollection(name: string): Promise<void> {
    const e = this.#writableEntry(name);
    await this.#serialize(e, async () => {
      this.#entries.delete(name);
      await e.wal.close();
      rmSync(e.dir, { recursive: true, force: true });
    });
  }

  async search(name: string, vectors: Float32Array[], opts: SearchOptions): Promise<Hit[][]> {
    const { collection } = this.#entry(name);
    opts.signal?.throwIfAborted();
    for (const v of vectors) {
      if (v.length !== collection.spec.dimension) {
        throw new InvalidRequestError(
          `vector has ${v.length} dimensions; collection "${name}" has ${collection.spec.dimension}`,
        );
      }
    }
    return collection.search(vectors, opts);
  }

  async write(name: string, rows: Row[], opts: WriteOptions): Promise<WriteResult> {
    const e = this.#writableEntry(name);
    const dim = e.collection.spec.dimension;
    const vectors = new Float32Array(rows.length * dim);
    rows.forEach((r, i) => {
      if (r.vector.length !== dim) {
        throw new InvalidRequestError(
          `rows[${i}].vector has ${r.vector.length} dimensions, expected ${dim}`,
        );
      }
      vectors.set(r.vector, i * dim);
    });
    return this.#serialize(e, async () => {
      if (opts.mode === 'insert') {
        const taken = rows.filter((r) => r.id !== undefined && e.collection.has(r.id));
        if (taken.length > 0) {
          const list = taken
            .slice(0, 5)
            .map((r) => JSON.stringify(r.id))
            .join(', ');
          throw new ConflictError(`ids already exist: ${list}; use mode "upsert" to replace rows`);
        }
      }
      const ids = rows.map((r) => r.id ?? randomUUID());
      const fields = rows.map((r) => r.fields);
      const seq = e.collection.walSeq + 1;
      await e.wal.append({ seq, op: 'upsert', ids, fields }, new Uint8Array(vectors.buffer));
      e.collection.upsert(ids, fields, vectors);
      e.collection.walSeq = seq;
      await this.#maybeCheckpoint(e);
      return { ids, durability: 'fsynced' as const };
    });
  }

  async delete(name: string, ids: string[]): Promise<{ deleted: number }> {
    const e = this.#writableEntry(name);
    return this.#serialize(e, async () => {
      const seq = e.collection.walSeq + 1;
      await e.wal.append({ seq, op: 'delete', ids }, new Uint8Array(0));
      const deleted = e.collection.delete(ids);
      e.collection.walSeq = seq;
      await this.#maybeCheckpoint(e);
      return { deleted };
    });
  }

  async flush(name: string, _opts?: CallOptions): Promise<void> {
    const e = this.#entry(name);
    if (this.options.mode !== 'writable') return; // nothing can be pending
    await this.#serialize(e, async () => this.#checkpoint(e));
  }

  async health(): Promise<Health> {
    return this.#closed ? { ok: false, reason: 'backend is closed' } : { ok: true };
  }

  /** Folds pending logged writes into snapshots, then releases the writer lock. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const e of this.#entries.values()) {
      await e.tail;
      if (this.options.mode === 'writable') await this.#checkpoint(e);
      await e.wal.close();
    }
    this.#lock.release();
  }

  async #maybeCheckpoint(e: Entry): Promise<void> {
    if (e.wal.bytes >= this.options.checkpointBytes) await this.#checkpoint(e);
  }

  async #checkpoint(e: Entry): Promise<void> {
    if (e.wal.bytes === 0 && existsSync(join(e.dir, CURRENT))) return;
    this.#snapshot(e);
    await e.wal.truncate();
  }

  /**
   * Writes `snap-<seq>/`, fsyncs it, then points CURRENT at it with an atomic
   * rename; older snapshots are removed (processes that mapped them keep their
   * pages until they close). The log is truncated by the caller afterwards; a
   * crash in between only replays records the snapshot already holds, which the
   * sequence numbers skip.
   */
  #snapshot(e: Entry): void {
    const name = `snap-${String(e.collection.walSeq).padStart(12, '0')}-${Date.now()}`;
    e.collection.saveSnapshot(join(e.dir, name));
    const tmp = join(e.dir, `${CURRENT}.tmp`);
    writeDurably(tmp, Buffer.from(name));
    renameSync(tmp, join(e.dir, CURRENT));
    fsyncPath(e.dir);
    for (const old of readdirSync(e.dir)) {
      if (old.startsWith('snap-') && old !== name) rmSync(join(e.dir, old), { recursive: true });
    }
  }
}
