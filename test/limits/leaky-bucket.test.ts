import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OverloadedError } from '../../src/limits/admission-errors.ts';
import { LeakyBucket, LeakyQueue } from '../../src/limits/leaky-bucket.ts';
import { fakeClock } from './fake-clock.ts';

describe('LeakyBucket (meter)', () => {
  it('admits up to capacity at once, then exactly the drain rate', () => {
    const clock = fakeClock();
    const lb = new LeakyBucket({ ratePerSecond: 10, capacity: 3, clock });
    expect([1, 2, 3, 4].map(() => lb.take('k').allowed)).toEqual([true, true, true, false]);
    expect(lb.take('k').retryAfterMs).toBe(100);
    let allowed = 0;
    for (let t = 0; t < 5000; t += 5) {
      clock.advance(5);
      if (lb.take('k').allowed) allowed++;
    }
    expect(allowed).toBe(50);
  });
});

describe('LeakyQueue (shaping)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('releases waiting requests evenly spaced, in order, and refuses past capacity', async () => {
    const clock = () => Date.now();
    const q = new LeakyQueue({ ratePerSecond: 10, capacity: 2, clock });
    const released: number[] = [];
    const t0 = Date.now();
    const all = [0, 1, 2].map((i) => q.acquire().then(() => released.push(i) && Date.now() - t0));
    await expect(q.acquire()).rejects.toBeInstanceOf(OverloadedError);
    expect(q.waiting).toBe(2);
    await vi.advanceTimersByTimeAsync(250);
    expect(await Promise.all(all)).toEqual([0, 100, 200]);
    expect(released).toEqual([0, 1, 2]);
  });

  it('gives the slot back when a waiting caller aborts', async () => {
    const clock = () => Date.now();
    const q = new LeakyQueue({ ratePerSecond: 10, capacity: 1, clock });
    await q.acquire();
    const ac = new AbortController();
    const waiting = q.acquire(ac.signal);
    ac.abort(new Error('client gone'));
    await expect(waiting).rejects.toThrow('client gone');
    expect(q.waiting).toBe(0);
    const next = q.acquire();
    await vi.advanceTimersByTimeAsync(100);
    await expect(next).resolves.toBeUndefined();
  });
});
