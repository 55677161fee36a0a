import { EmbeddedCollection } from './embedded-collection.ts';

/** Rows copied per step; the event loop gets a turn between steps. */
const CHUNK = 4096;

export interface CompactionResult {
  collection: EmbeddedCollection;
  droppedSlots: number;
  ms: number;
}

/**
 * Copies the live rows of `old` into the next data generation with a freshly
 * built graph (no removed keys: usearch 2.25 cannot read back an index saved
 * with about half its keys removed). `old` and its generation stay untouched
 * and in force until the caller has switched in a snapshot of the result; a
 * crash before that leaves the old snapshot and the log, which replay as usual.
 */
export async function compact(old: EmbeddedCollection): Promise<CompactionResult> {
  const started = performance.now();
  const next = EmbeddedCollection.create(
    old.dir,
    old.spec,
    old.bruteForceLimit,
    old.generation + 1,
    old.appliedSeq,
  );
  for (const chunk of old.liveRows(CHUNK)) {
    next.upsert(chunk.ids, chunk.fields, chunk.vectors);
    // Let searches and health checks through between chunks.
    await new Promise((r) => setImmediate(r));
  }
  return {
    collection: next,
    droppedSlots: old.slots - next.count,
    ms: Math.round(performance.now() - started),
  };
}
