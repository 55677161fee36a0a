import { closeSync, openSync, writeSync } from 'node:fs';
import type { ScalarColumn } from './insert-request.ts';
import { float32Bytes, float64Bytes, LITTLE_ENDIAN } from './little-endian.ts';

/**
 * NumPy .npy files (format 1.0), the column files Milvus's bulk insert reads:
 * a magic string, a header naming dtype and shape, then the values in C order.
 * Floats are written little-endian on any machine; int64 and strings from
 * typed arrays as they are (little-endian machines; others are refused rather
 * than written wrong).
 */

function header(descr: string, shape: number[]): Buffer {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  // Magic (6) + version (2) + header length (2) + dict + padding + '\n', a multiple of 64.
  const unpadded = 10 + dict.length + 1;
  const padded = Math.ceil(unpadded / 64) * 64;
  const text = `${dict}${' '.repeat(padded - unpadded)}\n`;
  const out = Buffer.alloc(10 + text.length);
  out.write('\x93NUMPY', 0, 'latin1');
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(text.length, 8);
  out.write(text, 10, 'latin1');
  return out;
}

function writeFile(path: string, parts: Uint8Array[]): void {
  const fd = openSync(path, 'w');
  try {
    for (const p of parts) {
      let off = 0;
      while (off < p.length) off += writeSync(fd, p, off, p.length - off);
    }
  } finally {
    closeSync(fd);
  }
}

function requireLittleEndian(): void {
  if (!LITTLE_ENDIAN) throw new Error('.npy files are written on little-endian machines only');
}

/** rows x dim float32 ('<f4'). */
export function writeFloat32Matrix(path: string, values: Float32Array, dim: number): void {
  writeFile(path, [header('<f4', [values.length / dim, dim]), float32Bytes(values)]);
}

/** float64 ('<f8'). */
export function writeFloat64Vector(path: string, values: readonly number[]): void {
  writeFile(path, [header('<f8', [values.length]), float64Bytes(values)]);
}

/** int64 ('<i8'). */
export function writeInt64Vector(path: string, values: readonly number[]): void {
  requireLittleEndian();
  const out = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = BigInt(values[i]!);
  writeFile(path, [header('<i8', [values.length]), new Uint8Array(out.buffer)]);
}

/** bool ('|b1'). */
export function writeBoolVector(path: string, values: readonly boolean[]): void {
  writeFile(path, [header('|b1', [values.length]), Uint8Array.from(values, (v) => (v ? 1 : 0))]);
}

/**
 * Fixed-width unicode ('<U n'): UTF-32LE code points, each string padded with
 * zeros to the longest one's length (in code points).
 */
export function writeUnicodeVector(path: string, values: readonly string[]): void {
  requireLittleEndian();
  let width = 1;
  for (const s of values) {
    let n = 0;
    for (const _ of s) n++;
    if (n > width) width = n;
  }
  const out = new Uint32Array(values.length * width);
  for (let i = 0; i < values.length; i++) {
    let j = i * width;
    for (const ch of values[i]!) out[j++] = ch.codePointAt(0)!;
  }
  writeFile(path, [header(`<U${width}`, [values.length]), new Uint8Array(out.buffer)]);
}

/** A scalar column as the .npy dtype Milvus reads for its type. */
export function writeNpyColumn(file: string, column: ScalarColumn): void {
  switch (column.type) {
    case 'VarChar':
      writeUnicodeVector(file, column.values);
      break;
    case 'Int64':
      writeInt64Vector(file, column.values);
      break;
    case 'Double':
      writeFloat64Vector(file, column.values);
      break;
    case 'Bool':
      writeBoolVector(file, column.values);
      break;
  }
}
