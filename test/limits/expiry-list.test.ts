import { describe, expect, it } from 'vitest';
import { ExpiryList } from '../../src/limits/expiry-list.ts';
import { fakeClock } from './fake-clock.ts';

describe('ExpiryList', () => {
  it('expires entries in the order they were added, once their TTL has passed', () => {
    const clock = fakeClock();
    const list = new ExpiryList(100, { clock });
    const expired: string[] = [];
    list.add(() => expired.push('a'));
    clock.advance(30);
    list.add(() => expired.push('b'));
    clock.advance(69);
    list.expireDue();
    expect(expired).toEqual([]);
    clock.advance(1);
    list.expireDue();
    expect(expired).toEqual(['a']);
    clock.advance(30);
    list.expireDue();
    expect(expired).toEqual(['a', 'b']);
    expect(list.size).toBe(0);
  });

  it('never expires a cancelled entry, wherever it stands in the list', () => {
    const clock = fakeClock();
    const list = new ExpiryList(50, { clock });
    const expired: number[] = [];
    const entries = [0, 1, 2, 3].map((i) => list.add(() => expired.push(i)));
    entries[0]!.cancel(); // head
    entries[2]!.cancel(); // middle
    entries[3]!.cancel(); // tail
    entries[3]!.cancel(); // twice is harmless
    expect(list.size).toBe(1);
    clock.advance(50);
    list.expireDue();
    expect(expired).toEqual([1]);
    entries[1]!.cancel(); // after it expired: no effect
    expect(list.size).toBe(0);
  });

  it('fires on its own timer and lets the process exit while waiting', async () => {
    const list = new ExpiryList(20);
    const fired = await new Promise<number>((resolve) => {
      const t0 = performance.now();
      list.add(() => resolve(performance.now() - t0));
    });
    expect(fired).toBeGreaterThanOrEqual(19);
    expect(list.size).toBe(0);
  });

  it('refuses a TTL that is not positive', () => {
    expect(() => new ExpiryList(0)).toThrow(/ttlMs must be positive, got 0/);
  });
});
