import { randomUUID } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ConflictError, InvalidRequestError, UnavailableError } from '../../core/errors.ts';
import { makeDirs } from '../../core/make-dirs.ts';
import type { CollectionSpec, Fields, Row } from '../../core/types.ts';
import type { WriteOptions, WriteResult } from '../search-backend.ts';
import type { BackendLog } from './backend-log.ts';
import { compact } from './compaction.ts';
import { EmbeddedCollection, type OpenMode } from './embedded-collection.ts';
import { verifyIndexFile } from './hnsw-index.ts';
import { removeGraphCopies } from './huge-page-graphs.ts';
import { isLegacySnapshot, openLegacySnapshot } from './legacy-snapshot.ts';
import { replayLog } from './replay.ts';
import { currentSnapshot, INDEX_FILE, newSnapshotDir, readManifest, switchTo } from './snapshot.ts';
import type { WalHeader } from './wal-records.ts';
import { type WalRecord, WriteAheadLog } from './write-ahead-log.ts';

const WAL_FILE = 'wal.log';

/** What a durable collection needs from its backend's settings. */
export interface DurabilityOptions {
  mode: OpenMode;
  bruteForceLimit: number;
  /** Checkpoint once the log holds this many bytes... */
  checkpointBytes: number;
  /** ...or this many upserted rows (graph insertions a restart would redo)... */
  checkpointRows: number;
  /** ...or this share of the graph's slots is removed (then compacted first). */
  compactRemovedShare: number;
  /** Have a child process read the index back before it is used. */
  verifyOnOpen: boolean;
  /** How new int8 graphs make their codes (see EmbeddedBackendOptions.int8Coding). */
  int8Coding: 'learned' | 'usearch';
  /** Shared opens map graphs from copies here (a huge-page tmpfs; see huge-page-graphs.ts). */
  hugePagesDir?: string;
  log: BackendLog;
}

/**
 * One collection on disk and everything that keeps it durable: its
 * write-ahead log, its write queue (writes run one at a time, in arrival
 * order), the sequence numbers of its writes, checkpoints (a verified
 * snapshot switched in, then the log truncated) and compaction. The backend
 * (embedded-backend.ts) is a registry of these.
 *
 * A write is acknowledged once its log record is fsynced; it is applied to
 * the in-memory collection right after, under the next sequence number, so a
 * snapshot names the last record it contains and a restart replays the rest.
 */
export class DurableCollection {
  readonly name: string;
  readonly dir: string;
  readonly #opts: DurabilityOptions;
  #collection: EmbeddedCollection;
  readonly #wal: WriteAheadLog<WalHeader>;
  /** Rows upserted since the last snapshot: graph insertions a restart would redo. */
  #pendingRows = 0;
  #tail: Promise<unknown> = Promise.resolve();

  private constructor(
    name: string,
    dir: string,
    collection: EmbeddedCollection,
    opts: DurabilityOptions,
  ) {
    this.name = name;
    this.dir = dir;
    this.#collection = collection;
    this.#wal = new WriteAheadLog<WalHeader>(join(dir, WAL_FILE));
    this.#opts = opts;
  }

  /** The in-memory collection (replaced by compaction: do not keep it). */
  get collection(): EmbeddedCollection {
    return this.#collection;
  }

  /** Creates the collection's directory and its first (empty) snapshot. */
  static async create(
    dir: string,
    spec: CollectionSpec,
    opts: DurabilityOptions,
  ): Promise<DurableCollection> {
    rmSync(dir, { recursive: true, force: true }); // leftovers of a create that crashed
    try {
      makeDirs(dir);
      const collection = EmbeddedCollection.create(
        dir,
        spec,
        opts.bruteForceLimit,
        0,
        0,
        opts.int8Coding === 'usearch' ? { kind: 'usearch-i8' } : undefined,
      );
      const d = new DurableCollection(spec.name, dir, collection, opts);
      await d.#snapshot();
      return d;
    } catch (err) {
      rmSync(dir, { recursive: true, force: true }); // a failed create leaves nothing behind
      throw err;
    }
  }

  /**
   * Opens the snapshot in force and replays the log on top; a format-1
   * collection is rewritten in today's layout, an index that cannot be read
   * back is rebuilt from the raw vectors (writable only).
   */
  static async open(
    name: string,
    dir: string,
    opts: DurabilityOptions,
  ): Promise<DurableCollection> {
    const started = performance.now();
    const snapshotDir = join(dir, currentSnapshot(dir)!);
    if (isLegacySnapshot(snapshotDir)) {
      if (opts.mode !== 'writable') {
        throw new UnavailableError(`collection "${name}" needs a writable open to be upgraded`);
      }
      const legacy = openLegacySnapshot(dir, snapshotDir, opts.bruteForceLimit);
      const d = new DurableCollection(name, dir, legacy, opts);
      d.#replay(d.#wal.replay());
      await d.checkpoint(true);
      opts.log.info({ collection: name, rows: legacy.count }, 'upgraded a format-1 collection');
      return d;
    }
    const manifest = readManifest(snapshotDir);
    const readable = opts.verifyOnOpen
      ? (await indexReadable(name, snapshotDir, manifest, opts.log)).ok
      : true;
    if (!readable && opts.mode === 'shared') {
      throw new UnavailableError(
        `collection "${name}": index file unreadable; open it writable once to rebuild it`,
      );
    }
    const collection = EmbeddedCollection.open(
      dir,
      snapshotDir,
      manifest,
      opts.mode,
      opts.bruteForceLimit,
      readable,
      opts.hugePagesDir,
    );
    void collection.graphCopy?.then((mapped) => {
      if (mapped.fallback)
        opts.log.warn(
          { collection: name, why: mapped.fallback },
          'graph mapped from the store, not from huge pages',
        );
    });
    const d = new DurableCollection(name, dir, collection, opts);
    const pending = d.#wal.replay().filter((r) => !(r.header?.seq <= collection.appliedSeq));
    if (pending.length > 0 && opts.mode === 'shared') {
      collection.close();
      throw new UnavailableError(
        `collection "${name}" has ${pending.length} logged writes not yet in its snapshot; ` +
          'open it writable once (or via openShared) to fold them in',
      );
    }
    const { refused, indexed } = d.#replay(pending);
    if (pending.length > 0 || !readable) {
      opts.log.info(
        {
          collection: name,
          replayedRecords: pending.length - refused,
          refusedRecords: refused,
          rowsIndexed: indexed,
          rebuilt: !readable,
          ms: Math.round(performance.now() - started),
        },
        readable ? 'replayed the write-ahead log' : 'rebuilt the index from the raw vectors',
      );
    }
    if (!readable) await d.checkpoint(true);
    return d;
  }

  /** Upserts (or inserts) rows: durable once the returned promise resolves. */
  write(rows: Row[], opts: WriteOptions): Promise<WriteResult> {
    const dim = this.#collection.spec.dimension;
    const vectors = new Float32Array(rows.length * dim);
    rows.forEach((r, i) => {
      if (r.vector.length !== dim) {
        throw new InvalidRequestError(
          `rows[${i}].vector has ${r.vector.length} dimensions, expected ${dim}`,
        );
      }
      vectors.set(r.vector, i * dim);
    });
    return this.#serialize(async () => {
      if (opts.mode === 'insert') {
        const taken = rows.filter((r) => r.id !== undefined && this.#collection.has(r.id));
        if (taken.length > 0) {
          const list = taken
            .slice(0, 5)
            .map((r) => JSON.stringify(r.id))
            .join(', ');
          throw new ConflictError(`ids already exist: ${list}; use mode "upsert" to replace rows`);
        }
      }
      const ids = rows.map((r) => r.id ?? randomUUID());
      const fields = rows.map((r) => r.fields) as Fields[];
      await this.#logged({ op: 'upsert', ids, fields }, new Uint8Array(vectors.buffer), (c) =>
        c.upsert(ids, fields, vectors),
      );
      this.#pendingRows += ids.length;
      await this.#maybeCheckpoint();
      return { ids, durability: 'fsynced' as const };
    });
  }

  delete(ids: string[]): Promise<{ deleted: number }> {
    return this.#serialize(async () => {
      const deleted = await this.#logged({ op: 'delete', ids }, new Uint8Array(0), (c) =>
        c.delete(ids),
      );
      await this.#maybeCheckpoint();
      return { deleted };
    });
  }

  /** Folds the log into a snapshot now (after the writes queued before). */
  flush(): Promise<void> {
    return this.#serialize(() => this.checkpoint());
  }

  /** Waits for queued writes, folds the log in (writable), closes the files. */
  async close(): Promise<void> {
    await this.#tail;
    if (this.#opts.mode === 'writable') await this.checkpoint();
    await this.#wal.close();
    this.#collection.close();
  }

  /**
   * Removes the collection from disk once the writes queued before have run;
   * `unregister` runs first, in the same turn of the write queue (so the name
   * stays taken, and a create of it refused, until the files are going).
   */
  drop(unregister: () => void = () => {}): Promise<void> {
    return this.#serialize(async () => {
      unregister();
      await this.#wal.close();
      this.#collection.close();
      rmSync(this.dir, { recursive: true, force: true });
      removeGraphCopies(this.dir, this.#opts.hugePagesDir);
    });
  }

  /**
   * Writes a verified snapshot and truncates the log, when there is anything
   * to fold in (or `force`).
   */
  async checkpoint(force = false): Promise<void> {
    if (
      !force &&
      this.#wal.bytes === 0 &&
      this.#collection.removedShare <= this.#opts.compactRemovedShare
    ) {
      return;
    }
    await this.#snapshot();
    await this.#wal.truncate();
    this.#pendingRows = 0;
  }

  /** Logs a record under the next sequence number (fsynced), then applies it. */
  async #logged<T>(
    header: Omit<WalHeader, 'seq'>,
    payload: Uint8Array,
    apply: (c: EmbeddedCollection) => T,
  ): Promise<T> {
    const seq = this.#collection.appliedSeq + 1;
    await this.#wal.append({ ...header, seq } as WalHeader, payload);
    const result = apply(this.#collection);
    this.#collection.markApplied(seq);
    return result;
  }

  /** Runs `fn` after every earlier write to the collection has finished. */
  #serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn, fn);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** Replays logged records newer than the snapshot (replay.ts). */
  #replay(records: WalRecord<WalHeader>[]): { refused: number; indexed: number } {
    const r = replayLog(this.#collection, records, this.#opts.log);
    this.#pendingRows += r.upsertedRows;
    return { refused: r.refused, indexed: r.indexed };
  }

  async #maybeCheckpoint(): Promise<void> {
    const { checkpointBytes, checkpointRows, compactRemovedShare } = this.#opts;
    if (
      this.#wal.bytes >= checkpointBytes ||
      this.#pendingRows >= checkpointRows ||
      this.#collection.removedShare > compactRemovedShare
    ) {
      await this.checkpoint();
    }
  }

  /**
   * Writes a snapshot, has a separate process open its index exactly as a
   * worker would, and only then switches CURRENT to it. A graph with too many
   * removed keys is first rebuilt from the live rows (compaction); a snapshot
   * that still fails verification is compacted and written once more, and if
   * that fails too, the previous snapshot and the log stay in force.
   */
  async #snapshot(): Promise<void> {
    if (this.#collection.removedShare > this.#opts.compactRemovedShare) await this.#compact();
    for (let attempt = 1; ; attempt++) {
      const c = this.#collection;
      const dir = newSnapshotDir(this.dir, c.appliedSeq);
      const manifest = c.writeSnapshot(dir);
      const v =
        manifest.live > 0
          ? await verifyIndexFile(join(dir, INDEX_FILE), manifest.spec, manifest.live)
          : ({ ok: true, ms: 0 } as const);
      if (v.ok) {
        switchTo(this.dir, dir, { ...manifest, verified: { inChildProcess: true, ms: v.ms } });
        c.snapshotInForce();
        return;
      }
      rmSync(dir, { recursive: true, force: true });
      this.#opts.log.error(
        { collection: this.name, attempt, reason: v.reason },
        'new snapshot failed verification; the previous one stays in force',
      );
      if (attempt === 2) {
        throw new UnavailableError(
          `collection "${this.name}": a snapshot could not be verified (${v.reason}); ` +
            'the write-ahead log keeps every acknowledged write',
        );
      }
      await this.#compact();
    }
  }

  /** Swaps in a compacted copy of the collection (see compaction.ts). */
  async #compact(): Promise<void> {
    const old = this.#collection;
    const done = await compact(old);
    this.#collection = done.collection;
    old.close();
    this.#opts.log.info(
      {
        collection: this.name,
        generation: done.collection.generation,
        liveRows: done.collection.count,
        droppedSlots: done.droppedSlots,
        ms: done.ms,
      },
      'compacted: rebuilt the graph from the live rows',
    );
  }
}

/** Whether a snapshot's index file reads back in a child process (logged when not). */
export async function indexReadable(
  name: string,
  snapshotDir: string,
  manifest: ReturnType<typeof readManifest>,
  log: BackendLog,
): Promise<{ ok: boolean; reason?: string }> {
  const size = manifest.live;
  if (size === 0 || !existsSync(join(snapshotDir, INDEX_FILE))) return { ok: size === 0 };
  const v = await verifyIndexFile(join(snapshotDir, INDEX_FILE), manifest.spec, size);
  if (!v.ok) {
    log.error(
      { collection: name, file: join(snapshotDir, INDEX_FILE), reason: v.reason },
      'index file cannot be read back; it will be rebuilt from the raw vectors',
    );
  }
  return v;
}
