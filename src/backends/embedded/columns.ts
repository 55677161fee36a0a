import { join } from 'node:path';
import { type Predicate, testPredicate as test } from '../../core/filter.ts';
import type { FieldType, ScalarValue } from '../../core/types.ts';
import { AppendFile } from './append-file.ts';

/**
 * Column files of one data generation, one value per slot, append-only and read
 * by position (see AppendFile). Encodings are fixed-width where they can be, so
 * a slot's value is one positional read:
 * - numbers (`int`, `float`): float64 per slot, NaN for "no value" (JSON has no NaN);
 * - bools: one byte per slot, 0 false, 1 true, 2 no value;
 * - strings and ids: a float64 end offset per slot into a UTF-8 data file;
 *   a missing value is stored as -(end + 1), so the next slot still finds its start.
 * Filters are evaluated column by column over chunks of slots (`filterChunk`),
 * clearing a slot's byte in a mask when its value fails the predicate.
 */
export interface Column {
  readonly type: FieldType;
  /** Value at `slot`, or null when the row has none. */
  get(slot: number): ScalarValue | null;
  append(values: readonly (ScalarValue | null | undefined)[]): void;
  /** Clears mask[i] where slot `from + i` fails `p`. */
  filterChunk(p: Predicate, from: number, mask: Uint8Array): void;
  truncateTo(slots: number): void;
  sync(): void;
  close(): void;
}

export type FileMode = 'read' | 'write';

export class NumberColumn implements Column {
  readonly type: FieldType;
  readonly #file: AppendFile;
  readonly #one = new Float64Array(1);

  constructor(path: string, mode: FileMode, type: 'int' | 'float') {
    this.type = type;
    this.#file = new AppendFile(path, mode);
  }

  get(slot: number): number | null {
    this.#file.read(new Uint8Array(this.#one.buffer), slot * 8);
    const v = this.#one[0]!;
    return Number.isNaN(v) ? null : v;
  }

  append(values: readonly (ScalarValue | null | undefined)[]): void {
    const out = Float64Array.from(values, (v) => (typeof v === 'number' ? v : Number.NaN));
    this.#file.append(new Uint8Array(out.buffer));
  }

  filterChunk(p: Predicate, from: number, mask: Uint8Array): void {
    const values = new Float64Array(mask.length);
    this.#file.read(new Uint8Array(values.buffer), from * 8);
    for (let i = 0; i < mask.length; i++) {
      if (mask[i] === 0) continue;
      const v = values[i]!;
      if (Number.isNaN(v) || !test(p, v)) mask[i] = 0;
    }
  }

  truncateTo(slots: number): void {
    this.#file.truncate(slots * 8);
  }
  sync(): void {
    this.#file.sync();
  }
  close(): void {
    this.#file.close();
  }
}

export class BoolColumn implements Column {
  readonly type: FieldType = 'bool';
  readonly #file: AppendFile;

  constructor(path: string, mode: FileMode) {
    this.#file = new AppendFile(path, mode);
  }

  get(slot: number): boolean | null {
    const b = new Uint8Array(1);
    this.#file.read(b, slot);
    return b[0] === 2 ? null : b[0] === 1;
  }

  append(values: readonly (ScalarValue | null | undefined)[]): void {
    this.#file.append(Uint8Array.from(values, (v) => (typeof v === 'boolean' ? Number(v) : 2)));
  }

  filterChunk(p: Predicate, from: number, mask: Uint8Array): void {
    const values = new Uint8Array(mask.length);
    this.#file.read(values, from);
    for (let i = 0; i < mask.length; i++) {
      if (mask[i] === 0) continue;
      if (values[i] === 2 || !test(p, values[i] === 1)) mask[i] = 0;
    }
  }

  truncateTo(slots: number): void {
    this.#file.truncate(slots);
  }
  sync(): void {
    this.#file.sync();
  }
  close(): void {
    this.#file.close();
  }
}

/** Strings (and row ids): end offsets plus UTF-8 bytes. */
export class StringColumn implements Column {
  readonly type: FieldType = 'string';
  readonly #ends: AppendFile;
  readonly #data: AppendFile;
  /** Both files held in memory too (see `mirrorBytes`), or null: read by position. */
  #mirror: StringMirror | null = null;

  /**
   * `mirrorBytes`: hold the column in memory while its two files together
   * take at most this many bytes. Row ids are read for every hit of every
   * search: from memory a hit costs a slice; by position it costs two reads
   * (about 3 us each, 7% of a search request's CPU at 10 hits).
   */
  constructor(path: string, mode: FileMode, opts: { mirrorBytes?: number } = {}) {
    this.#ends = new AppendFile(`${path}.ends`, mode);
    this.#data = new AppendFile(`${path}.utf8`, mode);
    const budget = opts.mirrorBytes ?? 0;
    if (budget > 0 && this.#ends.bytes + this.#data.bytes <= budget) {
      this.#mirror = new StringMirror(budget);
      const ends = Buffer.allocUnsafe(this.#ends.bytes);
      const data = Buffer.allocUnsafe(this.#data.bytes);
      if (ends.length > 0) this.#ends.read(ends, 0);
      if (data.length > 0) this.#data.read(data, 0);
      this.#mirror.append(ends, data);
    }
  }

  get slots(): number {
    return this.#ends.bytes / 8;
  }

  /** Whether the column is held in memory (see the constructor). */
  get mirrored(): boolean {
    return this.#mirror !== null;
  }

  /**
   * Slots [from, from + count) in two positional reads: `ends[0]` is where the
   * slot before `from` ends (0 for the first), `ends[i + 1]` where slot from + i
   * ends (negative: no value), `data` their bytes, starting at byte `base`.
   */
  #block(from: number, count: number): { ends: Float64Array; base: number; data: Buffer } {
    const ends = new Float64Array(count + 1);
    if (from === 0) this.#ends.read(new Uint8Array(ends.buffer, 8), 0);
    else this.#ends.read(new Uint8Array(ends.buffer), (from - 1) * 8);
    const base = decodeEnd(ends[0]!);
    const data = Buffer.allocUnsafe(decodeEnd(ends[count]!) - base);
    if (data.length > 0) this.#data.read(data, base);
    return { ends, base, data };
  }

  get(slot: number): string | null {
    if (this.#mirror) return this.#mirror.get(slot);
    return this.readRange(slot, 1)[0]!;
  }

  /** Values of slots [from, from + count). */
  readRange(from: number, count: number): (string | null)[] {
    const out: (string | null)[] = new Array(count);
    if (this.#mirror) {
      for (let i = 0; i < count; i++) out[i] = this.#mirror.get(from + i);
      return out;
    }
    const { ends, base, data } = this.#block(from, count);
    for (let i = 0; i < count; i++) {
      const raw = ends[i + 1]!;
      out[i] = raw < 0 ? null : data.toString('utf8', decodeEnd(ends[i]!) - base, raw - base);
    }
    return out;
  }

  append(values: readonly (ScalarValue | null | undefined)[]): void {
    const ends = new Float64Array(values.length);
    const parts: Buffer[] = [];
    let end = this.#data.bytes;
    values.forEach((v, i) => {
      if (typeof v !== 'string') {
        ends[i] = -(end + 1);
        return;
      }
      const b = Buffer.from(v, 'utf8');
      parts.push(b);
      end += b.length;
      ends[i] = end;
    });
    const data = Buffer.concat(parts);
    const endBytes = new Uint8Array(ends.buffer);
    this.#data.append(data);
    this.#ends.append(endBytes);
    if (this.#mirror && !this.#mirror.append(endBytes, data)) this.#mirror = null;
  }
  filterChunk(p: Predicate, from: number, mask: Uint8Array): void {
    const n = mask.length;
    const { ends, base, data } = this.#block(from, n);
    // Compare bytes, not decoded strings: no string is built for a row that fails.
    const wanted = ('values' in p ? p.values : [p.value]).map((v) =>
      Buffer.from(String(v), 'utf8'),
    );
    const negate = p.op === 'ne' || p.op === 'nin';
    for (let i = 0; i < n; i++) {
      if (mask[i] === 0) continue;
      const raw = ends[i + 1]!;
      if (raw < 0) {
        mask[i] = 0;
        continue;
      }
      const start = decodeEnd(ends[i]!) - base;
      const end = raw - base;
      let equal = false;
      for (const w of wanted) {
        if (w.length === end - start && data.compare(w, 0, w.length, start, end) === 0) {
          equal = true;
          break;
        }
      }
      if (equal === negate) mask[i] = 0;
    }
  }

  truncateTo(slots: number): void {
    let dataBytes = 0;
    if (slots > 0) {
      const one = new Float64Array(1);
      this.#ends.read(new Uint8Array(one.buffer), (slots - 1) * 8);
      dataBytes = decodeEnd(one[0]!);
    }
    this.#ends.truncate(slots * 8);
    this.#data.truncate(dataBytes);
    this.#mirror?.truncate(slots, dataBytes);
  }
  sync(): void {
    this.#ends.sync();
    this.#data.sync();
  }
  close(): void {
    this.#ends.close();
    this.#data.close();
  }
}

function decodeEnd(raw: number): number {
  return raw < 0 ? -raw - 1 : raw;
}

/**
 * A string column's two files in memory: the end offsets as float64 and the
 * UTF-8 bytes, each in a buffer that doubles as rows are appended, up to a
 * byte budget (past it, `append` answers false and the column reads by
 * position again).
 */
class StringMirror {
  readonly #budget: number;
  #ends = new Float64Array(0);
  #data = Buffer.alloc(0);
  #slots = 0;
  #dataBytes = 0;

  constructor(budget: number) {
    this.#budget = budget;
  }

  get(slot: number): string | null {
    if (slot >= this.#slots) throw new Error(`slot ${slot} is past the column's ${this.#slots}`);
    const raw = this.#ends[slot]!;
    if (raw < 0) return null;
    const start = slot === 0 ? 0 : decodeEnd(this.#ends[slot - 1]!);
    return this.#data.toString('utf8', start, raw);
  }

  /** Appends encoded ends and data; false once the budget would be passed. */
  append(ends: Uint8Array, data: Uint8Array): boolean {
    const slots = this.#slots + ends.byteLength / 8;
    const dataBytes = this.#dataBytes + data.byteLength;
    if (slots * 8 + dataBytes > this.#budget) return false;
    if (slots > this.#ends.length) {
      const grown = new Float64Array(Math.max(slots, this.#ends.length * 2, 1024));
      grown.set(this.#ends.subarray(0, this.#slots));
      this.#ends = grown;
    }
    new Uint8Array(this.#ends.buffer).set(ends, this.#slots * 8);
    if (dataBytes > this.#data.length) {
      const grown = Buffer.allocUnsafe(Math.max(dataBytes, this.#data.length * 2, 16_384));
      this.#data.copy(grown, 0, 0, this.#dataBytes);
      this.#data = grown;
    }
    this.#data.set(data, this.#dataBytes);
    this.#slots = slots;
    this.#dataBytes = dataBytes;
    return true;
  }

  truncate(slots: number, dataBytes: number): void {
    this.#slots = Math.min(this.#slots, slots);
    this.#dataBytes = Math.min(this.#dataBytes, dataBytes);
  }
}

/** Raw float32 vectors, `dimension` per slot: the source of truth the index is built from. */
export class VectorColumn {
  readonly dimension: number;
  readonly #file: AppendFile;

  constructor(path: string, mode: FileMode, dimension: number) {
    this.dimension = dimension;
    this.#file = new AppendFile(path, mode);
  }

  get slots(): number {
    return this.#file.bytes / (this.dimension * 4);
  }

  append(vectors: Float32Array): void {
    this.#file.append(new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength));
  }

  /** Vectors of slots [from, from + count), contiguous. */
  readRange(from: number, count: number, into?: Float32Array): Float32Array {
    const out = into ?? new Float32Array(count * this.dimension);
    this.#file.read(
      new Uint8Array(out.buffer, out.byteOffset, count * this.dimension * 4),
      from * this.dimension * 4,
    );
    return out;
  }

  truncateTo(slots: number): void {
    this.#file.truncate(slots * this.dimension * 4);
  }
  sync(): void {
    this.#file.sync();
  }
  close(): void {
    this.#file.close();
  }
}

/** The column file for a field, named by its position (never by a user-chosen name). */
export function openColumn(dir: string, position: number, type: FieldType, mode: FileMode): Column {
  const path = join(dir, `field-${position}`);
  switch (type) {
    case 'int':
    case 'float':
      return new NumberColumn(`${path}.f64`, mode, type);
    case 'bool':
      return new BoolColumn(`${path}.u8`, mode);
    case 'string':
      return new StringColumn(path, mode);
  }
}
