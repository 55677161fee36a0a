import { InvalidRequestError, QuotaExceededError } from '../core/errors.ts';
import type { CollectionSpec } from '../core/types.ts';

/** The operator's bounds (MAX_COLLECTIONS, MAX_DIMENSION, ...), as the settings give them. */
export interface Quotas {
  maxCollections: number;
  maxDimension: number;
  maxIndexM: number;
  maxEfConstruction: number;
  /** queries x dimension x candidates one search may cost. */
  maxSearchWork: number;
}

/**
 * The operator's bounds on what one client may ask of the server, checked
 * before any work: what a new collection may be, and how much one search may
 * cost. The backends keep their own, wider format limits.
 */
export function checkNewCollection(spec: CollectionSpec, existing: number, q: Quotas): void {
  if (existing >= q.maxCollections)
    throw new QuotaExceededError(
      `this server holds ${existing} collections; MAX_COLLECTIONS is ${q.maxCollections}`,
      { limit: q.maxCollections },
    );
  if (spec.dimension > q.maxDimension)
    throw new QuotaExceededError(
      `dimension ${spec.dimension} is above this server's MAX_DIMENSION ${q.maxDimension}`,
      { limit: q.maxDimension },
    );
  const M = spec.index?.M;
  if (M !== undefined && M > q.maxIndexM)
    throw new QuotaExceededError(`index.M ${M} is above this server's MAX_INDEX_M ${q.maxIndexM}`, {
      limit: q.maxIndexM,
    });
  const efc = spec.index?.efConstruction;
  if (efc !== undefined && efc > q.maxEfConstruction)
    throw new QuotaExceededError(
      `index.efConstruction ${efc} is above this server's MAX_EF_CONSTRUCTION ${q.maxEfConstruction}`,
      { limit: q.maxEfConstruction },
    );
}

/**
 * A search's work, queries x dimension x candidates (the larger of topK and
 * ef), must stay under MAX_SEARCH_WORK, so that no single valid request can
 * hold a search thread (or an event loop) for seconds.
 */
export function checkSearchWork(
  queries: number,
  dimension: number,
  opts: { topK: number; ef?: number; oversampling?: number },
  q: Quotas,
): void {
  const candidates = Math.max(opts.topK * (opts.oversampling ?? 1), opts.ef ?? 0);
  const work = queries * dimension * candidates;
  if (work > q.maxSearchWork)
    throw new InvalidRequestError(
      `this search would cost ${work} units (queries ${queries} x dimension ${dimension} x candidates ${candidates}); MAX_SEARCH_WORK is ${q.maxSearchWork}: send fewer queries or a smaller ef/topK`,
      { work, limit: q.maxSearchWork },
    );
}
