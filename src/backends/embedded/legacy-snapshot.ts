import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Fields, ScalarValue } from '../../core/types.ts';
import { EmbeddedCollection } from './embedded-collection.ts';
import type { ResolvedSpec } from './snapshot.ts';

interface LegacyMeta {
  format: 1;
  spec: ResolvedSpec;
  slots: number;
  walSeq: number;
}

export function isLegacySnapshot(snapshotDir: string): boolean {
  return existsSync(join(snapshotDir, 'meta.json'));
}

/**
 * Reads a collection saved by builds before data generations (format 1: a
 * snapshot with vectors.f32, rows.json and an index saved with its removed
 * slots, the kind usearch may not read back). Its live rows are copied into
 * data generation 0 and the graph is rebuilt from them; the old index file is
 * never opened. The caller snapshots the result, which switches the upgrade in.
 */
export function openLegacySnapshot(
  dir: string,
  current: string,
  bruteForceLimit: number,
): EmbeddedCollection {
  const meta = JSON.parse(readFileSync(join(current, 'meta.json'), 'utf8')) as LegacyMeta;
  const rows = JSON.parse(readFileSync(join(current, 'rows.json'), 'utf8')) as {
    ids: (string | null)[];
    columns: Record<string, (ScalarValue | null)[]>;
  };
  const buf = readFileSync(join(current, 'vectors.f32'));
  const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const spec = EmbeddedCollection.resolveSpec(meta.spec);
  const dim = spec.dimension;
  const c = EmbeddedCollection.create(dir, spec, bruteForceLimit, 0, meta.walSeq);
  const ids: string[] = [];
  const fields: Fields[] = [];
  const vectors = new Float32Array(meta.slots * dim);
  for (let slot = 0; slot < meta.slots; slot++) {
    const id = rows.ids[slot];
    if (id === null || id === undefined) continue;
    const f: Fields = Object.create(null);
    for (const field of spec.fields) {
      const v = Object.hasOwn(rows.columns, field.name) ? rows.columns[field.name]![slot] : null;
      if (v !== null && v !== undefined) f[field.name] = v;
    }
    vectors.set(all.subarray(slot * dim, (slot + 1) * dim), ids.length * dim);
    ids.push(id);
    fields.push(f);
  }
  c.upsert(ids, fields, vectors.subarray(0, ids.length * dim));
  return c;
}
