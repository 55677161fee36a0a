import { describe, expect, it } from 'vitest';
import { ConsistentHash } from '../../src/balance/consistent-hash.ts';
import { LeastOutstanding } from '../../src/balance/least-outstanding.ts';
import { RoundRobin } from '../../src/balance/round-robin.ts';
import type { BalancingStrategy, EndpointView } from '../../src/balance/strategy.ts';
import { SmoothWeightedRoundRobin } from '../../src/balance/weighted-round-robin.ts';
import { SeededRandom } from '../../src/data/random.ts';

const ep = (id: string, weight = 1, outstanding = 0): EndpointView => ({ id, weight, outstanding });

function counts(
  s: BalancingStrategy,
  endpoints: EndpointView[],
  n: number,
  key?: (i: number) => string,
) {
  const rnd = new SeededRandom(11);
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const e = s.pick(endpoints, { key: key?.(i), random: () => rnd.next() }, endpoints);
    out[e.id] = (out[e.id] ?? 0) + 1;
  }
  return out;
}

describe('round robin', () => {
  it('takes each endpoint in turn', () => {
    const s = new RoundRobin();
    const e = [ep('a'), ep('b'), ep('c')];
    expect([0, 1, 2, 3].map(() => s.pick(e).id)).toEqual(['a', 'b', 'c', 'a']);
  });
});

describe('smooth weighted round robin (nginx)', () => {
  it('spreads 5:1:1 as nginx does and respects weights exactly over a cycle', () => {
    const s = new SmoothWeightedRoundRobin();
    const e = [ep('a', 5), ep('b', 1), ep('c', 1)];
    expect(Array.from({ length: 7 }, () => s.pick(e).id).join('')).toBe('aabacaa');
    const c = counts(new SmoothWeightedRoundRobin(), [ep('x', 3), ep('y', 2), ep('z', 1)], 6000);
    expect(c).toEqual({ x: 3000, y: 2000, z: 1000 });
  });
});

describe('least outstanding, power of two choices', () => {
  it('sends most traffic away from a loaded endpoint', () => {
    const c = counts(
      new LeastOutstanding(),
      [ep('busy', 1, 50), ep('a', 1, 1), ep('b', 1, 2)],
      3000,
    );
    // "busy" wins only when sampled twice (the two samples must differ, so never).
    expect(c.busy ?? 0).toBe(0);
    expect(c.a! + c.b!).toBe(3000);
    expect(c.a!).toBeGreaterThan(c.b!);
  });

  it('under load, splits traffic in proportion to weight (2:1 within 10%)', () => {
    // Endpoints that serve in proportion to their weight; P2C compares in-flight / weight.
    const rnd = new SeededRandom(5);
    const e = [
      { id: 'heavy', weight: 2, outstanding: 0, serve: 0.7 },
      { id: 'light', weight: 1, outstanding: 0, serve: 0.35 },
    ];
    const s = new LeastOutstanding();
    const picks: Record<string, number> = { heavy: 0, light: 0 };
    for (let t = 0; t < 30_000; t++) {
      const chosen = s.pick(e, { random: () => rnd.next() }) as (typeof e)[number];
      chosen.outstanding++;
      picks[chosen.id]!++;
      for (const x of e) if (x.outstanding > 0 && rnd.next() < x.serve) x.outstanding--;
    }
    const share = picks.heavy! / 30_000;
    expect(share).toBeGreaterThan(0.6);
    expect(share).toBeLessThan(0.73);
  });
});

describe('consistent hashing', () => {
  const keys = Array.from({ length: 20_000 }, (_, i) => `tenant-${i}`);
  const owners = (endpoints: EndpointView[]) => {
    const s = new ConsistentHash();
    return keys.map((k) => s.pick(endpoints, { key: k, random: Math.random }, endpoints).id);
  };

  it('spreads keys evenly (each of 4 endpoints within 20% of a quarter)', () => {
    const c: Record<string, number> = {};
    for (const o of owners([ep('a'), ep('b'), ep('c'), ep('d')])) c[o] = (c[o] ?? 0) + 1;
    for (const n of Object.values(c)) expect(Math.abs(n / 5000 - 1)).toBeLessThan(0.2);
  });

  it("moves about 1/N of the keys when an endpoint joins, and only the leaver's keys when one leaves", () => {
    const four = owners([ep('a'), ep('b'), ep('c'), ep('d')]);
    const five = owners([ep('a'), ep('b'), ep('c'), ep('d'), ep('e')]);
    const moved = four.filter((o, i) => o !== five[i]).length / keys.length;
    expect(moved).toBeGreaterThan(0.15);
    expect(moved).toBeLessThan(0.25); // ideal 1/5
    for (let i = 0; i < keys.length; i++) if (four[i] !== five[i]) expect(five[i]).toBe('e');

    // An ejected endpoint (not a candidate, still configured): only its keys move.
    const s = new ConsistentHash();
    const all = [ep('a'), ep('b'), ep('c'), ep('d')];
    const without = keys.map(
      (k) =>
        s.pick(
          all.filter((e) => e.id !== 'c'),
          { key: k, random: Math.random },
          all,
        ).id,
    );
    for (let i = 0; i < keys.length; i++) {
      if (four[i] !== 'c') expect(without[i]).toBe(four[i]);
      else expect(without[i]).not.toBe('c');
    }
  });
});
