import type { BackendLog } from './backend-log.ts';
import type { EmbeddedCollection } from './embedded-collection.ts';
import { validateWalRecord, type WalHeader } from './wal-records.ts';
import type { WalRecord } from './write-ahead-log.ts';

export interface ReplayOutcome {
  /** Records applied and refused. */
  applied: number;
  refused: number;
  /** Rows upserted: graph insertions the next crash would redo too. */
  upsertedRows: number;
  /** Rows added to the graph at the end. */
  indexed: number;
}

/**
 * Applies logged writes newer than the collection's snapshot. Rows are appended
 * as they come and join the graph at the end, in one multi-threaded add; a
 * record that cannot be applied is refused and reported instead of failing
 * the start.
 */
export function replayLog(
  collection: EmbeddedCollection,
  records: readonly WalRecord<WalHeader>[],
  log: BackendLog,
): ReplayOutcome {
  collection.beginReplay();
  const out = { applied: 0, refused: 0, upsertedRows: 0, indexed: 0 };
  for (const record of records) {
    if (record.header?.seq <= collection.appliedSeq) continue;
    const problem = validateWalRecord(record, collection.spec);
    if (problem) {
      out.refused++;
      log.error(
        { collection: collection.spec.name, seq: record.header?.seq, problem },
        'write-ahead-log record refused: it cannot be applied',
      );
      continue;
    }
    const { header, payload } = record;
    if (header.op === 'upsert') {
      const vectors = new Float32Array(header.ids.length * collection.spec.dimension);
      new Uint8Array(vectors.buffer).set(payload);
      collection.upsert(header.ids, header.fields!, vectors);
      out.upsertedRows += header.ids.length;
    } else {
      collection.delete(header.ids);
    }
    collection.markApplied(header.seq);
    out.applied++;
  }
  out.indexed = collection.finishReplay();
  return out;
}
