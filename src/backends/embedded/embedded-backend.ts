import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
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
import { compact } from './compaction.ts';
import { EmbeddedCollection, type OpenMode } from './embedded-collection.ts';
import { verifyIndexFile } from './hnsw-index.ts';
import { isLegacySnapshot, openLegacySnapshot } from './legacy-snapshot.ts';
import { replayLog } from './replay.ts';
import { SearchThreads } from './search-threads.ts';
import {
  CURRENT,
  currentSnapshot,
  INDEX_FILE,
  newSnapshotDir,
  readManifest,
  switchTo,
} from './snapshot.ts';
import type { WalHeader } from './wal-records.ts';
import { type WalRecord, WriteAheadLog } from './write-ahead-log.ts';

/** The subset of a logger the backend writes to (pino's Logger fits). */
export interface BackendLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const SILENT: BackendLog = { info() {}, warn() {}, error() {} };

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
  /** Fold the write-ahead log into a snapshot once it grows past this. @default 32 MiB */
  checkpointBytes?: number;
  /**
   * ...or once it holds this many upserted rows: each is one graph insertion to
   * redo after a crash, so this bounds the restart time (about 3 s of 512-d float32 inserts on 2 cores). @default 4096
   */
  checkpointRows?: number;
  /**
   * Rebuild the graph from the live rows (a new data generation) before a
   * snapshot once this share of its keys are removed ones: usearch 2.25 cannot
   * read back an index saved with about half of its keys removed. @default 0.25
   */
  compactRemovedShare?: number;
  /** Check each index file in a child process before opening it. @default true */
  verifyOnOpen?: boolean;
  /**
   * Threads that run searches off the event loop, each over a read-only view of
   * the snapshot in force; 0 searches on the calling thread. A collection with
   * writes not yet in a snapshot is searched on the calling thread until its
   * next checkpoint (threads never answer from stale data). @default 0
   */
  searchThreads?: number;
  /** Nice value of the search threads (Linux), below the event loop's. @default 0 */
  searchThreadNice?: number;
  logger?: BackendLog;
}

interface Entry {
  collection: EmbeddedCollection;
  dir: string;
  /** The snapshot in force (what search threads open). */
  snapshotDir: string;
  /** Writes were applied since `snapshotDir`: search threads would answer from stale data. */
  dirty: boolean;
  wal: WriteAheadLog<WalHeader>;
  /** Rows upserted since the last snapshot: graph insertions a restart would redo. */
  pendingRows: number;
  /** Writes to one collection run one at a time, in arrival order. */
  tail: Promise<unknown>;
}

const WAL_FILE = 'wal.log';

/**
 * The default backend: an in-process HNSW index (usearch) per collection over
 * append-only data files, with a write-ahead log fsynced before each write is
 * acknowledged and snapshots that are verified in a separate process, then
 * switched in atomically (see snapshot.ts for the on-disk layout).
 *
 * @example
 * const backend = new EmbeddedBackend({ dataDir: '.data', mode: 'writable' });
 * await backend.init();
 */
export class EmbeddedBackend implements SearchBackend {
  readonly kind = 'embedded';
  /** A search runs synchronously (or on a thread) once started: nothing to abort. */
  readonly honoursAbort = false;
  readonly options: Required<EmbeddedBackendOptions>;
  #entries = new Map<string, Entry>();
  /** Collections on disk not opened yet (only the fold pass of openShared leaves any). */
  #unopened = new Set<string>();
  #lock: LockFile;
  #closed = false;
  #threads: SearchThreads | null = null;
  /** Where searches ran: on a search thread, or on the calling (event loop) thread. */
  readonly searchesRun = { threads: 0, loop: 0, threadFailures: 0 };

  constructor(options: EmbeddedBackendOptions) {
    this.options = {
      bruteForceLimit: 2048,
      checkpointBytes: 32 * 1024 * 1024,
      checkpointRows: 4096,
      compactRemovedShare: 0.25,
      verifyOnOpen: true,
      searchThreads: 0,
      searchThreadNice: 0,
      logger: SILENT,
      ...options,
    };
    this.#lock = new LockFile(join(options.dataDir, 'writer.lock'));
    if (this.options.searchThreads > 0)
      this.#threads = new SearchThreads(this.options.searchThreads, {
        nice: this.options.searchThreadNice,
      });
  }

  get #collectionsDir(): string {
    return join(this.options.dataDir, 'collections');
  }

  get #log(): BackendLog {
    return this.options.logger;
  }

  /**
   * Takes the writer lock (writable mode) and opens every collection on disk.
   * `lazy` only lists them: each is opened on first use (openShared's fold pass).
   */
  async init(opts: { lazy?: boolean } = {}): Promise<void> {
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
    for (const name of readdirSync(this.#collectionsDir).sort()) {
      const dir = join(this.#collectionsDir, name);
      if (!existsSync(join(dir, CURRENT))) {
        if (this.options.mode === 'writable') {
          // A create that crashed before its first snapshot: nothing was acknowledged.
          this.#log.warn({ collection: name }, 'removing an unfinished collection directory');
          rmSync(dir, { recursive: true, force: true });
        }
        continue;
      }
      if (opts.lazy) this.#unopened.add(name);
      else await this.#open(name, dir);
    }
  }

  /**
   * Runs `prepare` with a writable backend under the writer lock (waiting for
   * it), then opens the data read-only. This is how cluster workers start: the
   * first one builds the demo data, folds a leftover log or repairs an index,
   * the others find nothing to do and then map the same files.
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
      const writable = new EmbeddedBackend({ ...options, mode: 'writable', searchThreads: 0 });
      writable.#lock = lock; // already held
      await writable.init({ lazy: true });
      await writable.#foldPending();
      await prepare(writable);
      await writable.close();
    } finally {
      lock.release();
    }
    // The fold pass has just verified every index file.
    const shared = new EmbeddedBackend({ ...options, mode: 'shared', verifyOnOpen: false });
    await shared.init();
    return shared;
  }

  /** Opens (so replays, repairs and checkpoints) every collection that needs it. */
  async #foldPending(): Promise<void> {
    for (const name of [...this.#unopened]) {
      const dir = join(this.#collectionsDir, name);
      const wal = join(dir, WAL_FILE);
      const snap = currentSnapshot(dir);
      let needs = !snap || (existsSync(wal) && statSync(wal).size > 0);
      if (!needs && snap) {
        const manifest = readManifest(join(dir, snap));
        needs = !(await this.#indexReadable(name, join(dir, snap), manifest)).ok;
      }
      if (needs) await this.#get(name);
    }
  }

  async #indexReadable(
    name: string,
    snapshotDir: string,
    manifest: ReturnType<typeof readManifest>,
  ): Promise<{ ok: boolean; reason?: string }> {
    const size = manifest.live;
    if (size === 0 || !existsSync(join(snapshotDir, INDEX_FILE))) return { ok: size === 0 };
    const v = await verifyIndexFile(join(snapshotDir, INDEX_FILE), manifest.spec, size);
    if (!v.ok) {
      this.#log.error(
        { collection: name, file: join(snapshotDir, INDEX_FILE), reason: v.reason },
        'index file cannot be read back; it will be rebuilt from the raw vectors',
      );
    }
    return v;
  }

  async #open(name: string, dir: string): Promise<Entry> {
    const started = performance.now();
    const snapshotDir = join(dir, currentSnapshot(dir)!);
    if (isLegacySnapshot(snapshotDir)) return this.#upgrade(name, dir, snapshotDir);
    const manifest = readManifest(snapshotDir);
    const readable = this.options.verifyOnOpen
      ? (await this.#indexReadable(name, snapshotDir, manifest)).ok
      : true;
    if (!readable && this.options.mode === 'shared') {
      throw new UnavailableError(
        `collection "${name}": index file unreadable; open it writable once to rebuild it`,
      );
    }
    const collection = EmbeddedCollection.open(
      dir,
      snapshotDir,
      manifest,
      this.options.mode,
      this.options.bruteForceLimit,
      readable,
    );
    const wal = new WriteAheadLog<WalHeader>(join(dir, WAL_FILE));
    const records = wal.replay().filter((r) => !(r.header?.seq <= collection.walSeq));
    if (records.length > 0 && this.options.mode === 'shared') {
      collection.close();
      throw new UnavailableError(
        `collection "${name}" has ${records.length} logged writes not yet in its snapshot; ` +
          'open it writable once (or via openShared) to fold them in',
      );
    }
    const entry: Entry = {
      collection,
      dir,
      snapshotDir,
      dirty: false,
      wal,
      pendingRows: 0,
      tail: Promise.resolve(),
    };
    const { refused, indexed } = this.#replay(entry, records);
    entry.dirty = records.length > 0 || !readable;
    this.#entries.set(name, entry);
    this.#unopened.delete(name);
    if (records.length > 0 || !readable) {
      this.#log.info(
        {
          collection: name,
          replayedRecords: records.length - refused,
          refusedRecords: refused,
          rowsIndexed: indexed,
          rebuilt: !readable,
          ms: Math.round(performance.now() - started),
        },
        readable ? 'replayed the write-ahead log' : 'rebuilt the index from the raw vectors',
      );
    }
    if (!readable) await this.#checkpoint(entry, true);
    return entry;
  }

  /** Rewrites a format-1 collection in today's layout (its log is replayed on top). */
  async #upgrade(name: string, dir: string, snapshotDir: string): Promise<Entry> {
    if (this.options.mode !== 'writable') {
      throw new UnavailableError(`collection "${name}" needs a writable open to be upgraded`);
    }
    const collection = openLegacySnapshot(dir, snapshotDir, this.options.bruteForceLimit);
    const wal = new WriteAheadLog<WalHeader>(join(dir, WAL_FILE));
    const entry: Entry = {
      collection,
      dir,
      snapshotDir,
      dirty: true,
      wal,
      pendingRows: 0,
      tail: Promise.resolve(),
    };
    this.#replay(entry, wal.replay());
    await this.#checkpoint(entry, true);
    this.#entries.set(name, entry);
    this.#unopened.delete(name);
    this.#log.info({ collection: name, rows: collection.count }, 'upgraded a format-1 collection');
    return entry;
  }

  /** Replays the log into the entry's collection (replay.ts) and counts what a crash would redo. */
  #replay(entry: Entry, records: WalRecord<WalHeader>[]): { refused: number; indexed: number } {
    const r = replayLog(entry.collection, records, this.#log);
    entry.pendingRows += r.upsertedRows;
    return { refused: r.refused, indexed: r.indexed };
  }

  async #get(name: string): Promise<Entry> {
    if (this.#closed) throw new UnavailableError('backend is closed');
    const e = this.#entries.get(name);
    if (e) return e;
    if (this.#unopened.has(name)) return this.#open(name, join(this.#collectionsDir, name));
    throw new NotFoundError(`collection "${name}" does not exist`);
  }

  async #writable(name: string): Promise<Entry> {
    const e = await this.#get(name);
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
    return [...this.#entries.keys(), ...this.#unopened].sort();
  }

  async describe(name: string): Promise<CollectionInfo> {
    return (await this.#get(name)).collection.info();
  }

  async schema(name: string): Promise<CollectionSchema> {
    const e = (!this.#closed && this.#entries.get(name)) || (await this.#get(name));
    return e.collection.schema;
  }

  async createCollection(spec: CollectionSpec): Promise<CollectionInfo> {
    if (this.options.mode !== 'writable') {
      throw new ReadOnlyError('collections cannot be created while serving read-only (shared)');
    }
    const valid = validateCollectionSpec(spec);
    if (this.#entries.has(valid.name) || this.#unopened.has(valid.name)) {
      throw new ConflictError(`collection "${valid.name}" already exists`);
    }
    const dir = join(this.#collectionsDir, valid.name);
    rmSync(dir, { recursive: true, force: true }); // leftovers of a create that crashed
    try {
      mkdirSync(dir, { recursive: true });
      const collection = EmbeddedCollection.create(dir, valid, this.options.bruteForceLimit);
      const entry: Entry = {
        collection,
        dir,
        snapshotDir: '',
        dirty: true,
        wal: new WriteAheadLog<WalHeader>(join(dir, WAL_FILE)),
        pendingRows: 0,
        tail: Promise.resolve(),
      };
      await this.#snapshot(entry);
      this.#entries.set(valid.name, entry);
      return collection.info();
    } catch (err) {
      rmSync(dir, { recursive: true, force: true }); // a failed create leaves nothing behind
      throw err;
    }
  }

  async dropCollection(name: string): Promise<void> {
    const e = await this.#writable(name);
    await this.#serialize(e, async () => {
      this.#entries.delete(name);
      await e.wal.close();
      e.collection.close();
      rmSync(e.dir, { recursive: true, force: true });
    });
  }

  async search(name: string, vectors: Float32Array[], opts: SearchOptions): Promise<Hit[][]> {
    // An open collection is found without a promise (the common case); #get opens one.
    const e = (!this.#closed && this.#entries.get(name)) || (await this.#get(name));
    const { collection } = e;
    opts.signal?.throwIfAborted();
    for (const v of vectors) {
      if (v.length !== collection.spec.dimension) {
        throw new InvalidRequestError(
          `vector has ${v.length} dimensions; collection "${name}" has ${collection.spec.dimension}`,
        );
      }
    }
    if (this.#threads && !e.dirty && e.snapshotDir) {
      try {
        const hits = await this.#threads.search({
          collectionDir: e.dir,
          snapshotDir: e.snapshotDir,
          bruteForceLimit: this.options.bruteForceLimit,
          queries: vectors,
          params: opts,
        });
        this.searchesRun.threads++;
        return hits;
      } catch (err) {
        // E.g. a snapshot replaced (and removed) between dispatch and open: answer here.
        if (this.#closed) throw err;
        this.searchesRun.threadFailures++;
        this.#log.warn(
          { collection: name, err: (err as Error).message },
          'search thread failed; searching on the event loop',
        );
        opts.signal?.throwIfAborted();
      }
    }
    this.searchesRun.loop++;
    return collection.search(vectors, opts);
  }

  async write(name: string, rows: Row[], opts: WriteOptions): Promise<WriteResult> {
    const e = await this.#writable(name);
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
      e.dirty = true;
      await e.wal.append({ seq, op: 'upsert', ids, fields }, new Uint8Array(vectors.buffer));
      e.collection.upsert(ids, fields, vectors);
      e.collection.walSeq = seq;
      e.pendingRows += ids.length;
      await this.#maybeCheckpoint(e);
      return { ids, durability: 'fsynced' as const };
    });
  }

  async delete(name: string, ids: string[]): Promise<{ deleted: number }> {
    const e = await this.#writable(name);
    return this.#serialize(e, async () => {
      const seq = e.collection.walSeq + 1;
      e.dirty = true;
      await e.wal.append({ seq, op: 'delete', ids }, new Uint8Array(0));
      const deleted = e.collection.delete(ids);
      e.collection.walSeq = seq;
      await this.#maybeCheckpoint(e);
      return { deleted };
    });
  }

  async flush(name: string, _opts?: CallOptions): Promise<void> {
    const e = await this.#get(name);
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
      e.collection.close();
    }
    await this.#threads?.close();
    this.#lock.release();
  }

  async #maybeCheckpoint(e: Entry): Promise<void> {
    const { checkpointBytes, checkpointRows, compactRemovedShare } = this.options;
    if (
      e.wal.bytes >= checkpointBytes ||
      e.pendingRows >= checkpointRows ||
      e.collection.removedShare > compactRemovedShare
    ) {
      await this.#checkpoint(e);
    }
  }

  async #checkpoint(e: Entry, force = false): Promise<void> {
    if (
      !force &&
      e.wal.bytes === 0 &&
      e.collection.removedShare <= this.options.compactRemovedShare
    ) {
      return;
    }
    await this.#snapshot(e);
    await e.wal.truncate();
    e.pendingRows = 0;
  }

  /**
   * Writes a snapshot, has a separate process open its index exactly as a
   * worker would, and only then switches CURRENT to it. A graph with too many
   * removed keys is first rebuilt from the live rows (compaction); a snapshot
   * that still fails verification is compacted and written once more, and if
   * that fails too, the previous snapshot and the log stay in force.
   */
  async #snapshot(e: Entry): Promise<void> {
    if (e.collection.removedShare > this.options.compactRemovedShare) await this.#compact(e);
    for (let attempt = 1; ; attempt++) {
      const dir = newSnapshotDir(e.dir, e.collection.walSeq);
      const manifest = e.collection.writeSnapshot(dir);
      const v =
        manifest.live > 0
          ? await verifyIndexFile(join(dir, INDEX_FILE), manifest.spec, manifest.live)
          : ({ ok: true, ms: 0 } as const);
      if (v.ok) {
        switchTo(e.dir, dir, { ...manifest, verified: { inChildProcess: true, ms: v.ms } });
        e.snapshotDir = dir;
        e.dirty = false;
        return;
      }
      rmSync(dir, { recursive: true, force: true });
      this.#log.error(
        { collection: e.collection.spec.name, attempt, reason: v.reason },
        'new snapshot failed verification; the previous one stays in force',
      );
      if (attempt === 2) {
        throw new UnavailableError(
          `collection "${e.collection.spec.name}": a snapshot could not be verified (${v.reason}); ` +
            'the write-ahead log keeps every acknowledged write',
        );
      }
      await this.#compact(e);
    }
  }

  /** Swaps in a compacted copy of the collection (see compaction.ts). */
  async #compact(e: Entry): Promise<void> {
    const old = e.collection;
    const done = await compact(old);
    e.collection = done.collection;
    old.close();
    this.#log.info(
      {
        collection: old.spec.name,
        generation: done.collection.generation,
        liveRows: done.collection.count,
        droppedSlots: done.droppedSlots,
        ms: done.ms,
      },
      'compacted: rebuilt the graph from the live rows',
    );
  }
}
