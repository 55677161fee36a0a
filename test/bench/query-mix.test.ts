import { describe, expect, it } from 'vitest';
import { buildQueries, type TargetInfo } from '../../bench/harness/runners/target.ts';
import { mixBodies, parseQueryMix } from '../../bench/lib/query-mix.ts';

const draws = (spec: string, n: number) => {
  const mix = parseQueryMix(spec, 3);
  return Array.from({ length: n }, () => mix.nextRank());
};

describe('--queries mixes', () => {
  it('zipf:S:N asks the k-th query about 1/k^S as often as the first', () => {
    const ranks = draws('zipf:1.1:1000', 200_000);
    const count = (r: number) => ranks.filter((x) => x === r).length;
    expect(count(1) / count(0)).toBeCloseTo(2 ** -1.1, 1);
    expect(count(9) / count(0)).toBeCloseTo(10 ** -1.1, 1);
    expect(ranks.every((r) => r >= 0 && r < 1000)).toBe(true);
  });

  it('uniform:N spreads evenly; repeat:P repeats a share P of 100 hot queries and never the rest', () => {
    const uniform = draws('uniform:10', 50_000);
    for (let r = 0; r < 10; r++)
      expect(uniform.filter((x) => x === r).length / 50_000).toBeCloseTo(0.1, 1);
    const repeat = draws('repeat:0.3', 50_000);
    const hot = repeat.filter((r) => r < 100).length;
    expect(hot / 50_000).toBeCloseTo(0.3, 1);
    const fresh = repeat.filter((r) => r >= 100);
    expect(new Set(fresh).size).toBe(fresh.length);
    expect(parseQueryMix('repeat:0').describe).toBe('no repeats');
  });

  it('refuses what it cannot parse, naming the form', () => {
    expect(() => parseQueryMix('zipf:0:10')).toThrow(/zipf:S:N needs S > 0/);
    expect(() => parseQueryMix('uniform:0')).toThrow(/uniform:N needs N >= 1/);
    expect(() => parseQueryMix('repeat:2')).toThrow(/repeat:P needs 0 <= P <= 1/);
    expect(() => parseQueryMix('hot')).toThrow(/--queries must be/);
  });

  it('the same rank always sends the same bytes; distinct ranks distinct bytes', () => {
    const bodies = mixBodies(parseQueryMix('uniform:5', 1), (r) => `body-${r}`);
    expect(new Set(Array.from({ length: 100 }, bodies))).toEqual(
      new Set(['body-0', 'body-1', 'body-2', 'body-3', 'body-4']),
    );
    const target: TargetInfo = {
      url: 'http://127.0.0.1:1',
      collection: 'products',
      dimension: 8,
      count: 100,
      metric: 'L2',
      index: null,
      fields: [{ name: 'category', type: 'string' }],
      backend: 'embedded',
    };
    // Past the 10 held-out vectors, ranks are nudged copies: still all distinct.
    const q = buildQueries(target, { count: 10, mix: 'uniform:50' });
    expect(q.mixed).toBe(true);
    const seen = new Set(Array.from({ length: 5000 }, () => q.body('search', 0)));
    expect(seen.size).toBe(50);
    for (const b of seen) expect(JSON.parse(b).vector).toHaveLength(8);
    const plain = buildQueries(target, { count: 10 });
    expect(plain.body('search', 13)).toBe(plain.bodies.search[3]);
  });
});
