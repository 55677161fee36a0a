import { Worker } from 'node:worker_threads';
import { UnavailableError } from '../../core/errors.ts';
import type { SearchParams, ThreadFound } from './embedded-collection.ts';
import type { CloseMessage, SearchReply, SearchTask } from './search-thread.ts';

interface Pending {
  resolve: (found: ThreadFound[][]) => void;
  reject: (err: Error) => void;
}

interface Thread {
  worker: Worker;
  pending: Map<number, Pending>;
}

// Compiled (dist/), a thread runs the compiled module; from source (tests,
// tools run through tsx) a small .mjs loads the TypeScript through tsx.
const ENTRY = import.meta.url.endsWith('.ts')
  ? new URL('./search-thread-entry.mjs', import.meta.url)
  : new URL('./search-thread.js', import.meta.url);

/**
 * A small pool of search threads (worker_threads), each with its own read-only
 * view of the same snapshot files. A task goes to the thread with the fewest
 * tasks in flight; a thread that dies fails only its own tasks and is replaced.
 * Kept in-house rather than piscina: the pool needs per-thread state (open
 * snapshots) and nothing else piscina adds.
 *
 * @example
 * const pool = new SearchThreads(2);
 * const task = collection.threadSearch(params); // the snapshot, the tail
 * const found = await pool.search({ collectionDir, bruteForceLimit, queries, params, ...task });
 */
export class SearchThreads {
  readonly size: number;
  readonly #threads: Thread[] = [];
  /** closing[0] = 1 tells every thread to skip the searches still queued. */
  readonly #closing = new Int32Array(new SharedArrayBuffer(4));
  readonly #nice: number;
  readonly #hugePagesDir: string | undefined;
  readonly #onWarning: (message: string) => void;
  #nextId = 1;
  #closed = false;

  /**
   * `nice`: how far below the event loop the threads run (0-19; see
   * search-thread.ts). Nice 10 gives a search about a tenth of a contended
   * core against the event loop (kernel weights 110 vs 1024). @default 0
   * `hugePagesDir`: map graphs from copies there (huge-page-graphs.ts);
   * `onWarning`: what threads report that is not an answer (a graph not on huge pages).
   */
  constructor(
    size: number,
    opts: { nice?: number; hugePagesDir?: string; onWarning?: (message: string) => void } = {},
  ) {
    if (!Number.isInteger(size) || size < 1) {
      throw new TypeError(`SearchThreads: size must be a positive integer, got ${size}`);
    }
    this.size = size;
    this.#nice = opts.nice ?? 0;
    this.#hugePagesDir = opts.hugePagesDir;
    this.#onWarning = opts.onWarning ?? (() => {});
    for (let i = 0; i < size; i++) this.#threads.push(this.#spawn());
  }

  #spawn(): Thread {
    const worker = new Worker(ENTRY, {
      execArgv: [],
      workerData: {
        closing: this.#closing.buffer,
        nice: this.#nice,
        hugePagesDir: this.#hugePagesDir,
      },
    });
    const thread: Thread = { worker, pending: new Map() };
    worker.on('message', (reply: SearchReply) => {
      if ('warning' in reply) {
        this.#onWarning(reply.warning);
        return;
      }
      const p = thread.pending.get(reply.id);
      if (!p) return;
      thread.pending.delete(reply.id);
      if (thread.pending.size === 0) worker.unref();
      if ('error' in reply) p.reject(new Error(reply.error));
      else p.resolve(reply.found);
    });
    const fail = (why: string) => {
      for (const p of thread.pending.values()) p.reject(new UnavailableError(why));
      thread.pending.clear();
      const at = this.#threads.indexOf(thread);
      if (at >= 0 && !this.#closed) this.#threads[at] = this.#spawn();
    };
    worker.on('error', (err) => fail(`search thread failed: ${err.message}`));
    worker.on('exit', (code) => {
      if (!this.#closed) fail(`search thread exited with code ${code}`);
    });
    worker.unref();
    return thread;
  }

  /** Tasks in flight, over all threads. */
  get inFlight(): number {
    return this.#threads.reduce((n, t) => n + t.pending.size, 0);
  }

  search(
    task: Omit<SearchTask, 'id' | 'queries' | 'dimension'> & {
      queries: Float32Array[];
      params: SearchParams;
    },
  ): Promise<ThreadFound[][]> {
    if (this.#closed) return Promise.reject(new UnavailableError('search threads are closed'));
    let thread = this.#threads[0]!;
    for (const t of this.#threads) if (t.pending.size < thread.pending.size) thread = t;
    const id = this.#nextId++;
    // Only what a thread needs crosses over (a request's AbortSignal cannot be cloned).
    const { topK, filter, outputFields, ef, oversampling } = task.params;
    const params: SearchParams = { topK, filter, outputFields, ef, oversampling };
    // The queries go over in one buffer of their own, transferred (moved, not
    // serialized): one copy here, none in the message, and the caller keeps its vectors.
    const dimension = task.queries[0]?.length ?? 0;
    const queries = new Float32Array(task.queries.length * dimension);
    for (const [i, q] of task.queries.entries()) queries.set(q, i * dimension);
    const message: SearchTask = {
      id,
      collectionDir: task.collectionDir,
      snapshotDir: task.snapshotDir,
      bruteForceLimit: task.bruteForceLimit,
      queries,
      dimension,
      params,
      // On shared memory, both: sent by reference, not copied.
      tail: task.tail,
      deleted: task.deleted,
    };
    return new Promise<ThreadFound[][]>((resolve, reject) => {
      // Referenced only while it has work: an idle pool never keeps a process alive.
      if (thread.pending.size === 0) thread.worker.ref();
      thread.pending.set(id, { resolve, reject });
      thread.worker.postMessage(message, [queries.buffer]);
    });
  }

  /**
   * Fails what is still in flight, then lets each thread finish the search it
   * is in and end itself. Never terminate() a thread inside a native search:
   * the addon turns the termination into a C++ exception that aborts the
   * process (seen at 1M rows with searches queued at shutdown).
   */
  async close(): Promise<void> {
    this.#closed = true;
    Atomics.store(this.#closing, 0, 1);
    for (const t of this.#threads) {
      for (const p of t.pending.values())
        p.reject(new UnavailableError('search threads are closed'));
      t.pending.clear();
    }
    await Promise.all(
      this.#threads.map(
        (t) =>
          new Promise<void>((resolve) => {
            t.worker.ref();
            t.worker.once('exit', () => resolve());
            t.worker.postMessage({ close: true } satisfies CloseMessage);
          }),
      ),
    );
  }
}
