import type { CollectionSpec, Hit, Row } from '../core/types.ts';
import type {
  CallOptions,
  PoolFigures,
  SearchBackend,
  SearchOptions,
  SearchPlaces,
  WriteOptions,
} from './search-backend.ts';

/**
 * A backend in front of another (the micro-batcher, the result cache): every
 * call goes to the inner backend unless a subclass overrides it.
 */
export abstract class DelegatingBackend implements SearchBackend {
  readonly kind: string;
  readonly honoursAbort: boolean;
  protected readonly inner: SearchBackend;

  protected constructor(inner: SearchBackend, honoursAbort = inner.honoursAbort ?? true) {
    this.inner = inner;
    this.kind = inner.kind;
    this.honoursAbort = honoursAbort;
  }

  search(name: string, vectors: Float32Array[], opts: SearchOptions): Promise<Hit[][]> {
    return this.inner.search(name, vectors, opts);
  }
  listCollections(opts?: CallOptions) {
    return this.inner.listCollections(opts);
  }
  describe(name: string, opts?: CallOptions) {
    return this.inner.describe(name, opts);
  }
  schema(name: string, opts?: CallOptions) {
    return this.inner.schema(name, opts);
  }
  createCollection(spec: CollectionSpec, opts?: CallOptions) {
    return this.inner.createCollection(spec, opts);
  }
  dropCollection(name: string, opts?: CallOptions) {
    return this.inner.dropCollection(name, opts);
  }
  write(name: string, rows: Row[], opts: WriteOptions) {
    return this.inner.write(name, rows, opts);
  }
  delete(name: string, ids: string[], opts?: CallOptions) {
    return this.inner.delete(name, ids, opts);
  }
  flush(name: string, opts?: CallOptions) {
    return this.inner.flush(name, opts);
  }
  health(opts?: CallOptions) {
    return this.inner.health(opts);
  }
  connections(): PoolFigures | null {
    return this.inner.connections?.() ?? null;
  }
  searchPlaces(): SearchPlaces | null {
    return this.inner.searchPlaces?.() ?? null;
  }
  close() {
    return this.inner.close();
  }
}
