import type { Registry } from 'prom-client';
import { Counter, Gauge } from 'prom-client';
import type { CollectionSpec, Row } from '../../core/types.ts';
import { DelegatingBackend } from '../delegating-backend.ts';
import type { CallOptions, SearchBackend, WriteOptions } from '../search-backend.ts';

/**
 * What the cache needs to know before it may serve or keep an answer: the
 * collection's data version, and whether a write to it is under way. While a
 * write is in flight nothing is served from the cache or stored in it (an
 * answer computed during the write may or may not include it); every write
 * bumps the version before and after, so an answer computed before a write
 * can never be served after the write is acknowledged.
 */
export interface VersionSource {
  /** The version and in-flight writes, plus the shared tier's answer for `key` if there is one. */
  read(
    collection: string,
    key: string | null,
  ): Promise<{ version: string; writing: boolean; shared: string | null } | null>;
  /** Before a write: bump and register it (throws if that cannot be recorded: the write must not go ahead). */
  beginWrite(collection: string): Promise<string>;
  /** After a write (also after a failed one). Never throws. */
  endWrite(collection: string, token: string): Promise<void>;
  /** Keeps an answer in the shared tier (fire and forget). */
  store?(collection: string, version: string, key: string, answer: string): void;
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
  /** Most bytes the per-worker tier holds (answers and keys). */
  maxBytes: number;
  ttlMs: number;
  versions: VersionSource;
  registry?: Registry;
}

interface Entry {
  answer: string;
  bytes: number;
  expires: number;
  version: string;
}

/**
 * What a lookup found: an answer to send as it is; a miss, whose answer may
 * be kept under `version` (the one read before the search); or `pass` (a
 * write in flight, or versions that cannot be read): search, keep nothing.
 */
export type Lookup =
  | { kind: 'hit'; answer: string }
  | { kind: 'miss'; version: string }
  | { kind: 'pass' };

/**
 * A result cache: per worker (an LRU bounded by bytes, with a TTL), and
 * optionally a tier shared by every worker and host (Redis, through the
 * VersionSource). Answers are kept serialised (the JSON of the hits), under a
 * key the caller makes from the exact request (the HTTP layer hashes the
 * collection, the route and the raw body bytes), so a hit costs no parse, no
 * validation and no serialisation. As a backend it passes every call through
 * and brackets writes with version bumps: an answer computed before a write
 * is never served after the write is acknowledged.
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

  /** The answer kept for `key` in `collection` at its current data version, if any. */
  async lookup(collection: string, key: string): Promise<Lookup> {
    const state = await this.#versions.read(collection, key);
    if (state === null) {
      // The shared tier could not say the version: serving or keeping anything could be stale.
      this.stats.skips++;
      return { kind: 'pass' };
    }
    if (state.writing) {
      this.stats.bypassed++;
      return { kind: 'pass' };
    }
    const local = this.#entries.get(key);
    const now = Date.now();
    if (local && local.version === state.version && local.expires > now) {
      this.#entries.delete(key);
      this.#entries.set(key, local);
      this.stats.hits++;
      return { kind: 'hit', answer: local.answer };
    }
    if (local) this.#remove(key, local);
    if (state.shared !== null) {
      this.stats.sharedHits++;
      this.#keep(key, state.shared, state.version, now);
      return { kind: 'hit', answer: state.shared };
    }
    this.stats.misses++;
    return { kind: 'miss', version: state.version };
  }

  /**
   * Keeps what a miss computed, under the version read before its search: if a write began
   * meanwhile, the version has moved on and this entry will never be served.
   */
  keep(collection: string, key: string, version: string, answer: string): void {
    this.#keep(key, answer, version, Date.now());
    this.#versions.store?.(collection, version, key, answer);
  }

  #keep(key: string, answer: string, version: string, now: number): void {
    // Strings of JSON are one byte per character in V8; 96 for the entry and its map slot.
    const bytes = answer.length + key.length + 96;
    if (bytes > this.#maxBytes) return;
    const old = this.#entries.get(key);
    if (old) this.#remove(key, old);
    this.#entries.set(key, { answer, bytes, version, expires: now + this.#ttlMs });
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
