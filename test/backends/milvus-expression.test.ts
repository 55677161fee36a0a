import { describe, expect, it } from 'vitest';
import { quoteString, toMilvusExpression } from '../../src/backends/milvus/milvus-expression.ts';
import { parseFilter } from '../../src/core/filter.ts';
import type { FieldSchema } from '../../src/core/types.ts';

const fields: FieldSchema[] = [
  { name: 'category', type: 'string' },
  { name: 'price', type: 'float' },
  { name: 'stock', type: 'int' },
  { name: 'active', type: 'bool' },
];
const compile = (raw: unknown) => toMilvusExpression(parseFilter(raw, fields));

describe('toMilvusExpression', () => {
  it('compiles every operator, ANDing predicates', () => {
    expect(compile({ category: 'A' })).toBe('(category == "A")');
    expect(compile({ category: { in: ['A', 'B'] }, price: { gte: 10, lt: 50.5 } })).toBe(
      '(category in ["A", "B"]) and (price >= 10) and (price < 50.5)',
    );
    expect(compile({ stock: { ne: 0, nin: [1, 2] }, active: true })).toBe(
      '(stock != 0) and (stock not in [1, 2]) and (active == true)',
    );
    expect(compile({ price: { gt: 1e-7, lte: 2 } })).toBe('(price > 1e-7) and (price <= 2)');
    expect(compile(undefined)).toBe('');
  });

  it('keeps an injection attempt inside one string literal', () => {
    const expr = compile({ category: "A' or category != '" });
    expect(expr).toBe(`(category == "A' or category != '")`);
    const dq = compile({ category: 'A" or category != "' });
    expect(dq).toBe('(category == "A\\" or category != \\"")');
    // The literal ends exactly where it started: no unescaped quote inside it.
    const inner = dq.slice('(category == "'.length, -2);
    expect(inner.replace(/\\./g, '')).not.toContain('"');
  });

  it('escapes backslashes so a value cannot escape its closing quote', () => {
    expect(quoteString('C:\\')).toBe('"C:\\\\"');
    expect(compile({ category: { in: ['x\\', ') or (1 == 1'] } })).toBe(
      '(category in ["x\\\\", ") or (1 == 1"])',
    );
  });

  it('refuses control characters in values', () => {
    expect(() => compile({ category: 'A\n or true' })).toThrow(/control characters/);
  });
});
