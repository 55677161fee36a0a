import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StringColumn } from '../../src/backends/embedded/columns.ts';
import { tempDir } from '../helpers.ts';

describe('StringColumn held in memory (mirrorBytes)', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });
  const scratch = () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    return join(t.dir, 'ids');
  };
  const values = (n: number, from = 0) =>
    Array.from({ length: n }, (_, i) => ((from + i) % 7 === 3 ? null : `id-${from + i}-é`));

  it('answers every slot as the file does, missing values and multi-byte text included', () => {
    const path = scratch();
    const writer = new StringColumn(path, 'write', { mirrorBytes: 1 << 20 });
    writer.append(values(100));
    writer.append(values(50, 100));
    const fromFile = new StringColumn(path, 'read');
    const reopened = new StringColumn(path, 'read', { mirrorBytes: 1 << 20 });
    expect(writer.mirrored).toBe(true);
    expect(reopened.mirrored).toBe(true);
    expect(fromFile.mirrored).toBe(false);
    const expected = values(150);
    for (const column of [writer, fromFile, reopened]) {
      expect(column.readRange(0, 150)).toEqual(expected);
      expect(column.get(0)).toBe('id-0-é');
      expect(column.get(3)).toBeNull();
      expect(column.get(149)).toBe(expected[149]);
    }
    for (const c of [writer, fromFile, reopened]) c.close();
  });

  it('goes back to reading by position once appends pass the budget, with the same answers', () => {
    const path = scratch();
    const column = new StringColumn(path, 'write', { mirrorBytes: 2000 });
    column.append(values(40));
    expect(column.mirrored).toBe(true);
    column.append(values(200, 40));
    expect(column.mirrored).toBe(false);
    expect(column.readRange(0, 240)).toEqual(values(240));
    column.close();
    // A column already past the budget is never held.
    const big = new StringColumn(path, 'read', { mirrorBytes: 2000 });
    expect(big.mirrored).toBe(false);
    expect(big.get(239)).toBe(values(240)[239]);
    big.close();
  });

  it('cuts the held copy back with the file (a reopen after a crash)', () => {
    const path = scratch();
    const column = new StringColumn(path, 'write', { mirrorBytes: 1 << 20 });
    column.append(values(20));
    column.truncateTo(10);
    column.append(['x', 'y']);
    expect(column.readRange(0, 12)).toEqual([...values(10), 'x', 'y']);
    expect(() => column.get(12)).toThrow(/past the column/);
    column.close();
  });
});
