import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
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
import { makeDirs } from '../../core/make-dirs.ts';
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
  SearchPlaces,
  WriteOptions,
  WriteResult,
} from '../search-backend.ts';
import type { BackendLog } from './backend-log.ts';
import { type DurabilityOptions, DurableCollection, indexReadable } from './durable-collection.ts';
import type { OpenMode } from './embedded-collection.ts';
import { hugePagesProblem, readMounts } from './huge-page-graphs.ts';
import { SearchThreads } from './search-threads.ts';
import { CURRENT, currentSnapshot, readManifest } from './snapshot.ts';

export type { BackendLog } from './backend-log.ts';

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
   * the snapshot in force; 0 searches on the calling thread. Rows written since
   * that snapshot are scanned exactly by the thread too, and rows deleted
   * since are skipped (both lists on shared memory): a thread never answers
   * from stale data. @default 0
   */
  searchThreads?: number;
  /** Nice value of the search threads (Linux), below the event loop's. @default 0 */
  searchThreadNice?: number;
  /**
   * A directory on a tmpfs mounted with huge pages: read-only views (shared
   * workers, search threads) map each graph from a copy there, for faster
   * walks (huge-page-graphs.ts). Empty: graphs are mapped from the store. @default ''
   */
  hugePagesDir?: string;
  /**
   * How new int8 graphs make their codes: `learned` (a scale learned from the
   * data) or `usearch` (usearch's own cast, as graphs written before learned
   * scales hold: kept only to measure the two side by side; a compaction
   * rebuilds such a graph with a learned scale). @default 'learned'
   */
  int8Coding?: 'learned' | 'usearch';
  logger?: BackendLog;
}

/**
 * The default backend: an in-process HNSW index (usearch) per collection over
 * append-only data files, with a write-ahead log fsynced before each write is
 * acknowledged and snapshots that are verified in a separate process, then
 * switched in atomically (see snapshot.ts for the on-disk layout).
 *
 * This class is the registry: the writer lock, which collections exist and
 * which are open, the search threads. Each collection's durability (its log,
 * write queue, sequence numbers, checkpoints, compaction) is its
 * DurableCollection's (durable-collection.ts).
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
  #entries = new Map<string, DurableCollection>();
  /** Collections on disk not opened yet (only the fold pass of openShared leaves any). */
  #unopened = new Set<string>();
  #lock: LockFile;
  #closed = false;
  #threads: SearchThreads | null = null;
  /**
   * Where searches ran: on a search thread, or on the calling (event loop)
   * thread; `threadStale` counts thread answers overtaken by a checkpoint or
   * by deletes while they searched (searched again on the loop).
   */
  readonly searchesRun: SearchPlaces = { threads: 0, loop: 0, threadFailures: 0, threadStale: 0 };

  /** Where searches ran (null without search threads: all on the loop). */
  searchPlaces(): SearchPlaces | null {
    return this.#threads ? { ...this.searchesRun } : null;
  }

  constructor(options: EmbeddedBackendOptions) {
    this.options = {
      bruteForceLimit: 2048,
      checkpointBytes: 32 * 1024 * 1024,
      checkpointRows: 4096,
      compactRemovedShare: 0.25,
      verifyOnOpen: true,
      searchThreads: 0,
      searchThreadNice: 0,
      hugePagesDir: '',
      int8Coding: 'learned',
      logger: SILENT,
      ...options,
    };
    this.#lock = new LockFile(join(options.dataDir, 'writer.lock'));
    if (this.options.hugePagesDir) this.#checkHugePagesDir(this.options.hugePagesDir);
    if (this.options.searchThreads > 0)
      this.#threads = new SearchThreads(this.options.searchThreads, {
        nice: this.options.searchThreadNice,
        hugePagesDir: this.options.hugePagesDir || undefined,
        onWarning: (message) => this.#log.warn({}, message),
      });
  }

  /** Refuses a directory that is not there; warns when its files would not get huge pages. */
  #checkHugePagesDir(dir: string): void {
    if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
      throw new TypeError(
        `huge pages directory ${dir} does not exist: mount a tmpfs there with huge=within_size, or leave it empty`,
      );
    }
    const mounts = readMounts(); // none off Linux: nothing to check against
    const problem = mounts === null ? null : hugePagesProblem(dir, mounts);
    if (problem)
      this.#log.warn({ hugePagesDir: dir }, `graphs will not get huge pages: ${problem}`);
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
    makeDirs(this.#collectionsDir);
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
    makeDirs(options.dataDir);
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
      const wal = join(dir, 'wal.log');
      const snap = currentSnapshot(dir);
      let needs = !snap || (existsSync(wal) && statSync(wal).size > 0);
      if (!needs && snap) {
        const manifest = readManifest(join(dir, snap));
        needs = !(await indexReadable(name, join(dir, snap), manifest, this.#log)).ok;
      }
      if (needs) await this.#get(name);
    }
  }

  /** The settings a durable collection runs with. */
  get #durability(): DurabilityOptions {
    const o = this.options;
    return {
      mode: o.mode,
      bruteForceLimit: o.bruteForceLimit,
      checkpointBytes: o.checkpointBytes,
      checkpointRows: o.checkpointRows,
      compactRemovedShare: o.compactRemovedShare,
      verifyOnOpen: o.verifyOnOpen,
      int8Coding: o.int8Coding,
      hugePagesDir: o.hugePagesDir || undefined,
      log: this.#log,
    };
  }

  async #open(name: string, dir: string): Promise<DurableCollection> {
    const d = await DurableCollection.open(name, dir, this.#durability);
    this.#entries.set(name, d);
    this.#unopened.delete(name);
    return d;
  }

  async #get(name: string): Promise<DurableCollection> {
    if (this.#closed) throw new UnavailableError('backend is closed');
    const e = this.#entries.get(name);
    if (e) return e;
    if (this.#unopened.has(name)) return this.#open(name, join(this.#collectionsDir, name));
    throw new NotFoundError(`collection "${name}" does not exist`);
  }

  async #writable(name: string): Promise<DurableCollection> {
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
    const type = valid.index?.type ?? 'HNSW';
    if (type !== 'HNSW') {
      throw new InvalidRequestError(
        `index.type ${type}: the embedded backend builds HNSW only (its memory and recall are ` +
          `what docs/embedded-store.md measures); ${type} is a Milvus index (BACKEND=milvus)`,
        { indexType: type },
      );
    }
    if (this.#entries.has(valid.name) || this.#unopened.has(valid.name)) {
      throw new ConflictError(`collection "${valid.name}" already exists`);
    }
    const d = await DurableCollection.create(
      join(this.#collectionsDir, valid.name),
      valid,
      this.#durability,
    );
    this.#entries.set(valid.name, d);
    return d.collection.info();
  }

  async dropCollection(name: string): Promise<void> {
    const d = await this.#writable(name);
    await d.drop(() => this.#entries.delete(name));
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
    const task = this.#threads ? collection.threadSearch(opts) : null;
    if (this.#threads && task) {
      try {
        const found = await this.#threads.search({
          collectionDir: e.dir,
          snapshotDir: task.snapshotDir,
          bruteForceLimit: this.options.bruteForceLimit,
          queries: vectors,
          params: opts,
          tail: task.tail,
          deleted: task.deleted,
        });
        // Compaction may have replaced the collection meanwhile (its slots are another generation's).
        const hits =
          e.collection === collection ? collection.finishThreadSearch(task, found, opts) : null;
        if (hits) {
          this.searchesRun.threads++;
          return hits;
        }
        this.searchesRun.threadStale++;
      } catch (err) {
        // E.g. a snapshot replaced (and removed) between dispatch and open: answer here.
        if (this.#closed) throw err;
        this.searchesRun.threadFailures++;
        this.#log.warn(
          { collection: name, err: (err as Error).message },
          'search thread failed; searching on the event loop',
        );
      }
      opts.signal?.throwIfAborted();
    }
    this.searchesRun.loop++;
    return e.collection.search(vectors, opts);
  }

  async write(name: string, rows: Row[], opts: WriteOptions): Promise<WriteResult> {
    return (await this.#writable(name)).write(rows, opts);
  }

  async delete(name: string, ids: string[]): Promise<{ deleted: number }> {
    return (await this.#writable(name)).delete(ids);
  }

  async flush(name: string, _opts?: CallOptions): Promise<void> {
    const d = await this.#get(name);
    if (this.options.mode !== 'writable') return; // nothing can be pending
    await d.flush();
  }

  async health(): Promise<Health> {
    return this.#closed ? { ok: false, reason: 'backend is closed' } : { ok: true };
  }

  /** Folds pending logged writes into snapshots, then releases the writer lock. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const d of this.#entries.values()) await d.close();
    await this.#threads?.close();
    this.#lock.release();
  }
}
