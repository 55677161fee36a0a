/**
 * The .npy files Milvus's bulk insert reads: magic, version 1.0, a header
 * padded to 64 bytes naming dtype and shape, then the values in C order.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  writeBoolVector,
  writeFloat32Matrix,
  writeFloat64Vector,
  writeInt64Vector,
  writeUnicodeVector,
} from '../../src/backends/milvus/npy.ts';
import { tempDir } from '../helpers.ts';

function readNpy(file: string) {
  const bytes = readFileSync(file);
  expect(bytes.subarray(0, 6).toString('latin1')).toBe('\x93NUMPY');
  expect([bytes[6], bytes[7]]).toEqual([1, 0]);
  const headerLength = bytes.readUInt16LE(8);
  const header = bytes.subarray(10, 10 + headerLength).toString('latin1');
  expect((10 + headerLength) % 64).toBe(0);
  expect(header.endsWith('\n')).toBe(true);
  const descr = /'descr': '([^']+)'/.exec(header)![1]!;
  const shape = /'shape': \(([^)]*)\)/
    .exec(header)![1]!
    .split(',')
    .filter((s) => s.trim() !== '')
    .map(Number);
  expect(header).toContain("'fortran_order': False");
  const data = bytes.subarray(10 + headerLength);
  return { descr, shape, data: new Uint8Array(data).buffer };
}

describe('npy files', () => {
  const { dir, cleanup } = tempDir();
  afterAll(cleanup);

  it('writes a float32 matrix row after row', () => {
    const values = Float32Array.from({ length: 6 }, (_, i) => i * 0.5 - 1);
    writeFloat32Matrix(join(dir, 'v.npy'), values, 3);
    const f = readNpy(join(dir, 'v.npy'));
    expect(f.descr).toBe('<f4');
    expect(f.shape).toEqual([2, 3]);
    expect(new Float32Array(f.data)).toEqual(values);
  });

  it('writes doubles, int64 and bools as 1-d arrays', () => {
    writeFloat64Vector(join(dir, 'd.npy'), [1.25, -3, 1e-300]);
    const d = readNpy(join(dir, 'd.npy'));
    expect([d.descr, d.shape]).toEqual(['<f8', [3]]);
    expect(Array.from(new Float64Array(d.data))).toEqual([1.25, -3, 1e-300]);
    writeInt64Vector(join(dir, 'i.npy'), [0, -5, 2 ** 50]);
    const i = readNpy(join(dir, 'i.npy'));
    expect(i.descr).toBe('<i8');
    expect(Array.from(new BigInt64Array(i.data), Number)).toEqual([0, -5, 2 ** 50]);
    writeBoolVector(join(dir, 'b.npy'), [true, false]);
    const b = readNpy(join(dir, 'b.npy'));
    expect(b.descr).toBe('|b1');
    expect(Array.from(new Uint8Array(b.data))).toEqual([1, 0]);
  });

  it('writes strings as fixed-width UTF-32, as wide as the longest in code points', () => {
    writeUnicodeVector(join(dir, 's.npy'), ['item-1', 'é😀', '']);
    const s = readNpy(join(dir, 's.npy'));
    expect(s.descr).toBe('<U6');
    expect(s.shape).toEqual([3]);
    const cps = new Uint32Array(s.data);
    const decode = (row: number) =>
      String.fromCodePoint(
        ...Array.from(cps.subarray(row * 6, row * 6 + 6)).filter((c) => c !== 0),
      );
    expect([decode(0), decode(1), decode(2)]).toEqual(['item-1', 'é😀', '']);
  });
});
