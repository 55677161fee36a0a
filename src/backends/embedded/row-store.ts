import { join } from 'node:path';
import type { Filter } from '../../core/filter.ts';
import { makeDirs } from '../../core/make-dirs.ts';
import type { FieldSchema, Fields, ScalarValue } from '../../core/types.ts';
import { type Column, type FileMode, openColumn, StringColumn, VectorColumn } from './columns.ts';
import type { DeletedSlots } from './deleted-slots.ts';

/** Slots per chunk of a filter scan: 64k slots read 512 KiB of a numeric column at once. */
const SCAN_CHUNK = 65_536;

/**
 * Row ids are held in memory up to this many bytes per open generation (ids
 * and their offsets: 19 bytes a row for ids like "item-123456", so about 3.5M
 * rows); a larger column is read by position through the page cache.
 */
export const ID_MIRROR_BYTES = 64 * 1024 * 1024;

/**
 * The rows of one data generation (`data-<g>/`): raw vectors, ids and one file per
 * scalar field, slot-aligned and append-only. A slot is never reused within a
 * generation; compaction starts a new generation holding only live rows.
 */
export class RowStore {
  readonly dir: string;
  readonly fields: readonly FieldSchema[];
  readonly vectors: VectorColumn;
  readonly #ids: StringColumn;
  /** By field name; a Map so that no user-chosen name can reach a prototype. */
  readonly #columns = new Map<string, Column>();
  #slots: number;

  /**
   * Opens (creating in write mode) the generation in `dir`, cut back to `slots`
   * rows: bytes past them were appended after the last snapshot and come back
   * from the write-ahead log.
   */
  constructor(
    dir: string,
    dimension: number,
    fields: readonly FieldSchema[],
    mode: FileMode,
    slots: number,
  ) {
    if (mode === 'write') makeDirs(dir);
    this.dir = dir;
    this.fields = fields;
    this.vectors = new VectorColumn(join(dir, 'vectors.f32'), mode, dimension);
    this.#ids = new StringColumn(join(dir, 'ids'), mode, { mirrorBytes: ID_MIRROR_BYTES });
    for (const [i, f] of fields.entries())
      this.#columns.set(f.name, openColumn(dir, i, f.type, mode));
    if (mode === 'write') this.truncateTo(slots);
    else if (this.vectors.slots < slots || this.#ids.slots < slots) {
      throw new Error(`${dir}: holds ${this.vectors.slots} rows, the snapshot needs ${slots}`);
    }
    this.#slots = slots;
  }

  get slots(): number {
    return this.#slots;
  }

  /** Appends rows; returns the first new slot. `vectors` is rows x dimension. */
  append(ids: readonly string[], fields: readonly Fields[], vectors: Float32Array): number {
    const first = this.#slots;
    this.vectors.append(vectors);
    this.#ids.append(ids);
    for (const [name, column] of this.#columns) {
      column.append(fields.map((f) => (Object.hasOwn(f, name) ? f[name] : null)));
    }
    this.#slots += ids.length;
    return first;
  }

  id(slot: number): string {
    return this.#ids.get(slot)!;
  }

  /** Every slot's id, in slot order (for the writer's id -> slot map), read in chunks. */
  *allIds(): Generator<[string, number]> {
    for (let from = 0; from < this.#slots; from += SCAN_CHUNK) {
      const ids = this.#ids.readRange(from, Math.min(SCAN_CHUNK, this.#slots - from));
      for (let i = 0; i < ids.length; i++) yield [ids[i]!, from + i];
    }
  }

  /** Ids of slots [from, from + count). */
  ids(from: number, count: number): string[] {
    return this.#ids.readRange(from, count) as string[];
  }

  /** The named fields of a row, in a null-prototype object (names are user-chosen). */
  rowFields(slot: number, names: readonly string[]): Fields {
    const out: Fields = Object.create(null);
    for (const name of names) {
      const v: ScalarValue | null | undefined = this.#columns.get(name)?.get(slot);
      if (v !== null && v !== undefined) out[name] = v;
    }
    return out;
  }

  /** Live slots (from `first` on) whose fields satisfy every predicate, ascending. */
  match(filter: Filter, deleted: DeletedSlots, first = 0): Int32Array {
    const out: number[] = [];
    for (let from = first; from < this.#slots; from += SCAN_CHUNK) {
      const mask = new Uint8Array(Math.min(SCAN_CHUNK, this.#slots - from));
      for (let i = 0; i < mask.length; i++) mask[i] = deleted.has(from + i) ? 0 : 1;
      for (const p of filter) this.#columns.get(p.field)!.filterChunk(p, from, mask);
      for (let i = 0; i < mask.length; i++) if (mask[i] === 1) out.push(from + i);
    }
    return Int32Array.from(out);
  }

  truncateTo(slots: number): void {
    this.vectors.truncateTo(slots);
    this.#ids.truncateTo(slots);
    for (const c of this.#columns.values()) c.truncateTo(slots);
    this.#slots = slots;
  }

  /** Makes every appended byte durable (before a snapshot that covers it is switched in). */
  sync(): void {
    this.vectors.sync();
    this.#ids.sync();
    for (const c of this.#columns.values()) c.sync();
  }

  close(): void {
    this.vectors.close();
    this.#ids.close();
    for (const c of this.#columns.values()) c.close();
  }
}
