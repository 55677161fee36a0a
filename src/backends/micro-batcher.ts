import { Histogram, type Registry } from 'prom-client';
import type { Hit } from '../core/types.ts';
import { sharedFailure } from '../limits/shared-failure.ts';
import { DelegatingBackend } from './delegating-backend.ts';
import type { SearchBackend, SearchOptions } from './search-backend.ts';

export interface MicroBatchOptions {
  /** Most queries in one backend call. */
  maxBatch: number;
  /** Longest a query waits for company when every slot is busy (microseconds). */
  windowUs: number;
  /** Backend calls in flight at once; below it, a queue is flushed at once (no added wait). */
  slots: number;
  registry?: Registry;
}

interface Pending {
  vector: Float32Array;
  /** Identical vectors share one query (single-flight); each waiter gets the same hits. */
  waiters: Waiter[];
}

interface Waiter {
  resolve: (hits: Hit[]) => void;
  reject: (err: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
  queuedAt: number;
}

interface Queue {
  name: string;
  options: SearchOptions;
  pending: Map<string, Pending>;
  timer: NodeJS.Timeout | null;
}

/**
 * Searches that may share one backend call: same collection, same topK, same
 * search parameters (ef, nprobe, searchList), same output fields (as a set)
 * and the same filter. Anything that could
 * change one query's answer is in the key, so a query answered inside a batch
 * gets exactly what it would get alone.
 */
export function compatibilityKey(name: string, o: SearchOptions): string {
  return JSON.stringify([
    name,
    o.topK,
    o.ef ?? null,
    o.nprobe ?? null,
    o.searchList ?? null,
    [...o.outputFields].sort(),
    o.filter,
  ]);
}

const vectorKey = (v: Float32Array): string =>
  Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');

/**
 * Dynamic batching of concurrent single searches, as inference servers do it
 * (Triton's max_queue_delay): a search goes to the backend at once while a
 * slot is free; when all `slots` are busy, compatible searches queue and go
 * together as one multi-vector call (one RPC, one segment scan setup on
 * Milvus) when a slot frees, when `maxBatch` are waiting, or after
 * `windowUs`. Identical concurrent searches share one query. Every request
 * keeps its own cancellation: an aborted or timed-out search leaves its batch
 * at once (a slow batch never holds it past its deadline).
 */
export class MicroBatcher {
  readonly #backend: SearchBackend;
  readonly #opts: MicroBatchOptions;
  readonly #queues = new Map<string, Queue>();
  #inFlight = 0;
  readonly batchSize: Histogram | null;
  readonly batchWait: Histogram | null;

  constructor(backend: SearchBackend, opts: MicroBatchOptions) {
    this.#backend = backend;
    this.#opts = opts;
    this.batchSize = opts.registry
      ? new Histogram({
          name: 'vecserve_batch_size',
          help: 'Queries per backend search call made by the micro-batcher',
          buckets: [1, 2, 4, 8, 16, 32, 64, 128],
          registers: [opts.registry],
        })
      : null;
    this.batchWait = opts.registry
      ? new Histogram({
          name: 'vecserve_batch_wait_seconds',
          help: 'Time a search waited in the micro-batcher before its backend call',
          buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025],
          registers: [opts.registry],
        })
      : null;
  }

  /** One query's hits, alone or inside a batch. */
  search(name: string, vector: Float32Array, options: SearchOptions): Promise<Hit[]> {
    const { signal, ...rest } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const key = compatibilityKey(name, rest);
    let queue = this.#queues.get(key);
    if (!queue) {
      queue = { name, options: rest, pending: new Map(), timer: null };
      this.#queues.set(key, queue);
    }
    const vkey = vectorKey(vector);
    let entry = queue.pending.get(vkey);
    if (!entry) {
      entry = { vector, waiters: [] };
      queue.pending.set(vkey, entry);
    }
    const q = queue;
    const e = entry;
    const result = new Promise<Hit[]>((resolve, reject) => {
      const w: Waiter = { resolve, reject, signal, queuedAt: performance.now() };
      if (signal) {
        w.onAbort = () => {
          // Leaves the batch at once; the batch (if sent) goes on for the others.
          const at = e.waiters.indexOf(w);
          if (at >= 0) e.waiters.splice(at, 1);
          if (e.waiters.length === 0 && q.pending.get(vkey) === e) q.pending.delete(vkey);
          reject(signal.reason);
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      e.waiters.push(w);
    });
    if (this.#inFlight < this.#opts.slots || queue.pending.size >= this.#opts.maxBatch)
      this.#flush(key);
    else
      queue.timer ??= setTimeout(() => this.#flush(key), Math.max(0, this.#opts.windowUs / 1000));
    return result;
  }

  #flush(key: string): void {
    const queue = this.#queues.get(key);
    if (!queue) return;
    if (queue.timer) clearTimeout(queue.timer);
    queue.timer = null;
    const entries = [...queue.pending.values()].filter((p) => p.waiters.length > 0);
    queue.pending.clear();
    this.#queues.delete(key);
    if (entries.length === 0) return;
    for (let start = 0; start < entries.length; start += this.#opts.maxBatch)
      this.#send(queue, entries.slice(start, start + this.#opts.maxBatch));
  }

  #send(queue: Queue, batch: Pending[]): void {
    this.#inFlight++;
    const now = performance.now();
    this.batchSize?.observe(batch.length);
    for (const p of batch)
      for (const w of p.waiters) this.batchWait?.observe((now - w.queuedAt) / 1000);
    // The call is cancelled only when every request in it has gone.
    const controller = new AbortController();
    const waiters = batch.flatMap((p) => p.waiters);
    let left = waiters.length;
    for (const w of waiters)
      w.signal?.addEventListener(
        'abort',
        () => {
          if (--left === 0) controller.abort(w.signal!.reason);
        },
        { once: true },
      );
    const settle = (fn: (w: Waiter, i: number) => void) => {
      batch.forEach((p, i) => {
        for (const w of p.waiters) {
          if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
          fn(w, i);
        }
      });
    };
    this.#backend
      .search(
        queue.name,
        batch.map((p) => p.vector),
        { ...queue.options, signal: controller.signal },
      )
      .then(
        (results) => settle((w, i) => w.resolve(results[i] ?? [])),
        // One failed call, however many searches it carried (a breaker counts it once).
        (err) => settle((w) => w.reject(batch.length > 1 ? sharedFailure(err) : err)),
      )
      .finally(() => {
        this.#inFlight--;
        // A slot is free: the oldest waiting queue goes now.
        const next = this.#queues.keys().next();
        if (!next.done) this.#flush(next.value);
      });
  }
}

/**
 * The backend with single-vector searches going through a MicroBatcher;
 * everything else (multi-vector searches included) passes through.
 */
export class BatchingBackend extends DelegatingBackend {
  readonly batcher: MicroBatcher;

  constructor(inner: SearchBackend, opts: MicroBatchOptions) {
    // A search waiting for its batch leaves the queue when its signal aborts.
    super(inner, true);
    this.batcher = new MicroBatcher(inner, opts);
  }

  override search(name: string, vectors: Float32Array[], options: SearchOptions): Promise<Hit[][]> {
    if (vectors.length !== 1) return this.inner.search(name, vectors, options);
    return this.batcher.search(name, vectors[0]!, options).then((hits) => [hits]);
  }
}
