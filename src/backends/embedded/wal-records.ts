import type { Fields } from '../../core/types.ts';
import type { ResolvedSpec } from './snapshot.ts';
import type { WalRecord } from './write-ahead-log.ts';

/** One logged write: the header is JSON, the payload the rows' float32 vectors. */
export interface WalHeader {
  seq: number;
  op: 'upsert' | 'delete';
  ids: string[];
  fields?: Fields[];
}

const TYPE_OF = { string: 'string', int: 'number', float: 'number', bool: 'boolean' } as const;

/**
 * Why a replayed record cannot be applied, or null when it can. A log written
 * by an older build (or damaged in a way its CRC did not catch) is refused
 * record by record and reported, never allowed to crash the start.
 */
export function validateWalRecord(record: WalRecord<WalHeader>, spec: ResolvedSpec): string | null {
  const h = record.header as Partial<WalHeader> | null;
  if (typeof h !== 'object' || h === null) return 'header is not an object';
  if (!Number.isSafeInteger(h.seq)) return 'seq is not an integer';
  if (!Array.isArray(h.ids) || h.ids.some((id) => typeof id !== 'string' || id.length === 0)) {
    return 'ids is not an array of non-empty strings';
  }
  if (h.op === 'delete') return null;
  if (h.op !== 'upsert') return `unknown op ${JSON.stringify(h.op)}`;
  if (record.payload.byteLength !== h.ids.length * spec.dimension * 4) {
    return `payload holds ${record.payload.byteLength} bytes, expected ${h.ids.length} x ${spec.dimension} float32`;
  }
  if (!Array.isArray(h.fields) || h.fields.length !== h.ids.length) {
    return 'fields is not one object per id';
  }
  for (const [i, row] of h.fields.entries()) {
    if (typeof row !== 'object' || row === null) return `fields[${i}] is not an object`;
    for (const f of spec.fields) {
      if (!Object.hasOwn(row, f.name)) continue;
      const v = (row as Record<string, unknown>)[f.name];
      if (v !== null && typeof v !== TYPE_OF[f.type]) {
        return `fields[${i}].${f.name} is ${typeof v}, the schema says ${f.type}`;
      }
    }
  }
  return null;
}
