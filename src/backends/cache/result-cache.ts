import { createHash } from 'node:crypto';
import type { Registry } from 'prom-client';
import { Counter, Gauge } from 'prom-client';
import type { CollectionSpec, Hit, Row } from '../../core/types.ts';
import { DelegatingBackend } from '../delegating-backend.ts';
import type { CallOptions, SearchBackend, SearchOptions, WriteOptions } from '../search-backend.ts';

/**
 * What the cache needs to know before it may serve or keep an answer: the
 * collection's data version, and whether a write to it is under way. While a
 * write is in flight nothing is served from the cache or stored in it (an
 * answer computed during the write may or may not include it); every write
 * bumps the version before and after, so an answer computed before a write
 * can never be served after the write is acknowledged.
 */
export interface VersionSource {
  /** The version and in-flight writes, plus the shared tier's entry for `key` if there is one. */
  read(
    collection: string,
    key: string | null,
  ): Promise<{ version: string; writing: boolean; shared: Hit[][] | null } | null>;
  /** Before a write: bump and register it (throws if that cannot be recorded: the write must not go ahead). */
  beginWrite(collection: string): Promise<string>;
  /** After a write (also after a failed one). Never throws. */
  endWrite(collection: string, token: string): Promise<void>;
  /** Keeps an answer in the shared tier (fire and forget). */
  store?(collection: string, version: string, key: string, hits: Hit[][]): void;
}

/** Versions for one process (no shared tier): exact, synchronous underneath. */
export class LocalVersions implements VersionSource {
  readonly #versions = new Map<string, { version: number; writing: number }>();
  #of(c: string) {
    let v = this.#versions.get(c);
    if (!v) {
      v = { version: 0, writing: 0 };
      this.#versions.set(c, v);
    }
    return v;
  }
  async read(collection: string) {
    const v = this.#of(collection);
    return { version: String(v.version), writing: v.writing > 0, shared: null };
  }
  async beginWrite(collection: string) {
    const v = this.#of(collection);
    v.version++;
    v.writing++;
    return '';
  }
  async endWrite(collection: string) {
    const v = this.#of(collection);
    v.version++;
    v.writing--;
  }
}

export interface ResultCacheOptions {
  /** Most bytes the per-worker tier holds (answers' estimated size). */
  maxBytes: number;
  ttlMs: number;
  versions: VersionSource;
  registry?: Registry;
}

interface Entry {
  hits: Hit[][];
  bytes: number;
  expires: number;
  version: string;
}

/** Rough bytes of an answer in memory: ids, distances, fields. */
function sizeOf(hits: Hit[][]): number {
  let bytes = 64;
  for (const list of hits)
    for (const h of list)
      bytes += 48 + h.id.length * 2 + (h.fields ? 32 * Object.keys(h.fields).length : 0);
  return bytes;
}

/**
 * A result cache in front of a backend: per worker (an LRU bounded by bytes,
 * with a TTL), and optionally a tier shared by every worker and host (Redis,
 * through the VersionSource). The key is the collection, its data version,
 * the exact query vector bytes (SHA-256), topK, ef/nprobe/searchList, the
 * filter and the output fields: any parameter change is a miss.
 */
export class ResultCache extends DelegatingBackend {
  readonly #versions: VersionSource;
  readonly #maxBytes: number;
  readonly #ttlMs: number;
  /** Map order is recency: a hit re-inserts its key at the end. */
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;
  readonly stats = { hits: 0, sharedHits: 0, misses: 0, evictions: 0, skips: 0, bypassed: 0 };

  constructor(inner: SearchBackend, opts: ResultCacheOptions) {
    super(inner);
    this.#versions = opts.versions;
    this.#maxBytes = opts.maxBytes;
    this.#ttlMs = opts.ttlMs;
    if (opts.registry) this.#metrics(opts.registry);
  }

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Drops every entry (the shared tier's recovery does this: versions may have been missed). */
  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  override async search(
    name: string,
    vectors: Float32Array[],
    opts: SearchOptions,
  ): Promise<Hit[][]> {
    const key = cacheKey(name, vectors, opts);
    const state = await this.#versions.read(name, key);
    if (state === null) {
      // The shared tier could not say the version: serving or keeping anything could be stale.
      this.stats.skips++;
      return this.inner.search(name, vectors, opts);
    }
    if (state.writing) {
      this.stats.bypassed++;
      return this.inner.search(name, vectors, opts);
    }
    const local = this.#entries.get(key);
    const now = Date.now();
    if (local && local.version === state.version && local.expires > now) {
      this.#entries.delete(key);
      this.#entries.set(key, local);
      this.stats.hits++;
      return local.hits;
    }
    if (local) this.#remove(key, local);
    if (state.shared) {
      this.stats.sharedHits++;
      this.#keep(key, state.shared, state.version, now);
      return state.shared;
    }
    this.stats.misses++;
    const hits = await this.inner.search(name, vectors, opts);
    // Kept under the version read before the search: if a write began meanwhile, the version
    // has moved on and this entry will never be served.
    this.#keep(key, hits, state.version, Date.now());
    this.#versions.store?.(name, state.version, key, hits);
    return hits;
  }

  #keep(key: string, hits: Hit[][], version: string, now: number): void {
    const bytes = sizeOf(hits) + key.length * 2;
    if (bytes > this.#maxBytes) return;
    this.#entries.set(key, { hits, bytes, version, expires: now + this.#ttlMs });
    this.#bytes += bytes;
    while (this.#bytes > this.#maxBytes) {
      const [oldest, e] = this.#entries.entries().next().value as [string, Entry];
      this.#remove(oldest, e);
      this.stats.evictions++;
    }
  }

  #remove(key: string, e: Entry): void {
    this.#entries.delete(key);
    this.#bytes -= e.bytes;
  }

  async #writing<T>(name: string, run: () => Promise<T>): Promise<T> {
    const token = await this.#versions.beginWrite(name);
    try {
      return await run();
    } finally {
      await this.#versions.endWrite(name, token);
    }
  }

  override write(name: string, rows: Row[], opts: WriteOptions) {
    return this.#writing(name, () => this.inner.write(name, rows, opts));
  }
  override delete(name: string, ids: string[], opts?: CallOptions) {
    return this.#writing(name, () => this.inner.delete(name, ids, opts));
  }
  override dropCollection(name: string, opts?: CallOptions) {
    return this.#writing(name, () => this.inner.dropCollection(name, opts));
  }
  override createCollection(spec: CollectionSpec, opts?: CallOptions) {
    return this.#writing(spec.name, () => this.inner.createCollection(spec, opts));
  }

  #metrics(registry: Registry): void {
    const stats = this.stats;
    const counter = (name: string, help: string, read: () => number) =>
      new Counter({
        name,
        help,
        registers: [registry],
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    new Counter({
      name: 'vecserve_result_cache_hits_total',
      help: 'Searches answered from the result cache, by tier (local: this worker; shared: Redis)',
      labelNames: ['tier'],
      registers: [registry],
      collect() {
        this.reset();
        this.inc({ tier: 'local' }, stats.hits);
        this.inc({ tier: 'shared' }, stats.sharedHits);
      },
    });
    counter(
      'vecserve_result_cache_misses_total',
      'Searches the cache could have kept but did not hold',
      () => stats.misses,
    );
    counter(
      'vecserve_result_cache_evictions_total',
      'Entries evicted to stay within RESULT_CACHE_MB',
      () => stats.evictions,
    );
    counter(
      'vecserve_result_cache_skips_total',
      'Searches that went past the cache because its shared versions (Redis) could not be read in time',
      () => stats.skips,
    );
    counter(
      'vecserve_result_cache_write_bypass_total',
      'Searches that went past the cache because a write to the collection was in flight',
      () => stats.bypassed,
    );
    const self = this;
    new Gauge({
      name: 'vecserve_result_cache_bytes',
      help: "Estimated bytes of this worker's result cache",
      registers: [registry],
      collect() {
        this.set(self.bytes);
      },
    });
  }
}

/** The exact key: collection, vector bytes (SHA-256), and every parameter that shapes the answer. */
export function cacheKey(name: string, vectors: Float32Array[], opts: SearchOptions): string {
  const h = createHash('sha256');
  for (const v of vectors) h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  h.update(
    JSON.stringify([
      vectors.length,
      opts.topK,
      opts.ef ?? null,
      opts.nprobe ?? null,
      opts.searchList ?? null,
      opts.filter,
      opts.outputFields,
    ]),
  );
  return `${name}:${h.digest('base64url')}`;
}
