import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../src/core/errors.ts';
import { matchesFilter, parseFilter } from '../../src/core/filter.ts';
import type { FieldSchema } from '../../src/core/types.ts';

const fields: FieldSchema[] = [
  { name: 'category', type: 'string' },
  { name: 'price', type: 'float' },
  { name: 'stock', type: 'int' },
  { name: 'active', type: 'bool' },
];

describe('parseFilter', () => {
  it('reads a bare value as equality and operator objects as predicates, all ANDed', () => {
    expect(parseFilter({ category: 'A', price: { gte: 10, lt: 50 } }, fields)).toEqual([
      { field: 'category', op: 'eq', value: 'A' },
      { field: 'price', op: 'gte', value: 10 },
      { field: 'price', op: 'lt', value: 50 },
    ]);
    expect(parseFilter({ category: { in: ['A', 'B'] } }, fields)).toEqual([
      { field: 'category', op: 'in', values: ['A', 'B'] },
    ]);
    expect(parseFilter(undefined, fields)).toEqual([]);
  });

  it.each([
    [{ colour: 'red' }, /unknown field "colour"/],
    [{ category: { like: 'A%' } }, /unknown operator "like"/],
    [{ category: { gt: 'A' } }, /ordering operators apply to numeric fields/],
    [{ price: 'cheap' }, /field "price" is of type float, got "cheap"/],
    [{ stock: 1.5 }, /field "stock" is of type int/],
    [{ category: { in: [] } }, /expected an array of 1 to 1024 values/],
    [{ category: {} }, /empty operator object/],
    ['category == "A"', /filter must be an object/],
    [{ active: { in: [true, 'yes'] } }, /field "active" is of type bool/],
  ])('rejects %j with a message saying what is wrong', (raw, message) => {
    expect(() => parseFilter(raw, fields)).toThrow(InvalidRequestError);
    expect(() => parseFilter(raw, fields)).toThrow(message);
  });
});

describe('matchesFilter', () => {
  const row = { category: 'B', price: 20, stock: 3, active: true };
  it.each([
    [{ category: 'B' }, true],
    [{ category: { ne: 'B' } }, false],
    [{ category: { nin: ['A', 'C'] }, price: { gt: 19.5, lte: 20 } }, true],
    [{ price: { lt: 20 } }, false],
    [{ stock: { in: [1, 2, 3] }, active: true }, true],
    [{ active: false }, false],
  ])('evaluates %j as %s', (raw, expected) => {
    expect(matchesFilter(parseFilter(raw, fields), row)).toBe(expected);
  });

  it('treats a value containing quotes as a plain string, never as syntax', () => {
    const f = parseFilter({ category: "A' or category != '" }, fields);
    expect(matchesFilter(f, { category: 'A' })).toBe(false);
    expect(matchesFilter(f, { category: "A' or category != '" })).toBe(true);
  });
});
