import type {
  CallOptions,
  Health,
  SearchBackend,
  SearchOptions,
  WriteOptions,
  WriteResult,
} from '../../src/backends/search-backend.ts';
import { NotFoundError } from '../../src/core/errors.ts';
import type { CollectionInfo, CollectionSpec, Hit, Row } from '../../src/core/types.ts';

/**
 * A scripted backend for tests of the HTTP layer only (deadlines, shutdown,
 * readiness): never a stand-in for a real store in an integration test.
 */
export class FakeBackend implements SearchBackend {
  readonly kind = 'fake';
  searchDelayMs = 0;
  /** When set, searches fail with this error (as a down backend would). */
  searchError: Error | null = null;
  searchCalls = 0;
  healthy: Health = { ok: true };
  healthCalls = 0;
  /** How long health() takes to answer (Infinity: never). */
  healthDelayMs = 0;
  closed = false;
  readonly seenSignals: AbortSignal[] = [];
  readonly info: CollectionInfo = {
    name: 'items',
    dimension: 2,
    metric: 'L2',
    count: 1,
    fields: [],
    index: { type: 'FAKE' },
    writable: true,
  };

  async listCollections() {
    return ['items'];
  }
  async describe(name: string) {
    if (name !== 'items') throw new NotFoundError(`collection "${name}" does not exist`);
    return this.info;
  }
  async schema(name: string) {
    return this.describe(name);
  }
  async createCollection(_spec: CollectionSpec): Promise<CollectionInfo> {
    return this.info;
  }
  async dropCollection() {}
  async search(_name: string, vectors: Float32Array[], opts: SearchOptions): Promise<Hit[][]> {
    this.searchCalls++;
    if (opts.signal) this.seenSignals.push(opts.signal);
    if (this.searchError) throw this.searchError;
    if (this.searchDelayMs > 0) {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, this.searchDelayMs);
        opts.signal?.addEventListener('abort', () => {
          clearTimeout(t);
          reject(opts.signal!.reason);
        });
      });
    }
    return vectors.map(() => [{ id: 'a', distance: 0 }]);
  }
  async write(_name: string, rows: Row[], _opts: WriteOptions): Promise<WriteResult> {
    return { ids: rows.map((r, i) => r.id ?? String(i)), durability: 'fsynced' };
  }
  async delete(_name: string, ids: string[], _opts?: CallOptions) {
    return { deleted: ids.length };
  }
  async flush() {}
  async health() {
    this.healthCalls++;
    if (this.healthDelayMs === Number.POSITIVE_INFINITY) return new Promise<Health>(() => {});
    if (this.healthDelayMs > 0) await new Promise((r) => setTimeout(r, this.healthDelayMs));
    return this.healthy;
  }
  async close() {
    this.closed = true;
  }
}
