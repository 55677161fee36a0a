import { NotFoundError } from '../../core/errors.ts';
import type { CallOptions, Health, IndexProgress } from '../search-backend.ts';

/** What readiness asks Milvus (through the backend's pooled calls). */
export interface ReadinessQueries {
  listCollections(opts?: CallOptions): Promise<string[]>;
  /** null: the collection has no index to wait for. */
  indexProgress(name: string, opts?: CallOptions): Promise<IndexProgress | null>;
  /** Milvus's name of the collection's load state (LoadStateLoaded when searchable). */
  loadState(name: string, opts?: CallOptions): Promise<string>;
}

/**
 * Ready means indexed: until every collection's index has caught up with its rows and the
 * collection is loaded, Milvus answers searches by brute force (17 s for the demo here), so a
 * benchmark or a balancer that trusts "ready" measures the wrong thing. Each collection is
 * checked until it is found ready once, then not again (a collection made later starts empty).
 */
export class IndexReadiness {
  readonly #queries: ReadinessQueries;
  /** Collections found indexed and loaded. */
  readonly #indexed = new Set<string>();
  #allIndexed = false;

  constructor(queries: ReadinessQueries) {
    this.#queries = queries;
  }

  async check(opts?: CallOptions): Promise<Health> {
    if (this.#allIndexed) return { ok: true };
    for (const name of await this.#queries.listCollections(opts)) {
      if (this.#indexed.has(name)) continue;
      let progress: IndexProgress | null;
      try {
        progress = await this.#queries.indexProgress(name, opts);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        progress = null; // dropped since it was listed: nothing to wait for
      }
      if (!progress) {
        // No index to wait for (made elsewhere without one): searched exactly, as it will stay.
        this.#indexed.add(name);
        continue;
      }
      const { indexed: done, total, pending } = progress;
      if (pending > 0 || done < total)
        return {
          ok: false,
          reason: `collection "${name}": index built for ${done} of ${total} rows`,
        };
      const state = await this.#queries.loadState(name, opts);
      if (state !== 'LoadStateLoaded')
        return { ok: false, reason: `collection "${name}" is not loaded (${state})` };
      this.#indexed.add(name);
    }
    this.#allIndexed = true;
    return { ok: true };
  }
}
