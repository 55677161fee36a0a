import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../src/limits/token-bucket.ts';
import { fakeClock } from './fake-clock.ts';

describe('TokenBucket', () => {
  it('allows a burst of `burst`, then the sustained rate', () => {
    const clock = fakeClock();
    const tb = new TokenBucket({ ratePerSecond: 10, burst: 5, clock });
    const burst = Array.from({ length: 7 }, () => tb.take('k').allowed);
    expect(burst).toEqual([true, true, true, true, true, false, false]);
    let allowed = 0;
    for (let ms = 0; ms < 10_000; ms += 10) {
      clock.advance(10);
      if (tb.take('k').allowed) allowed++;
    }
    expect(allowed).toBe(100); // 10/s for 10 s, whatever the offered rate
  });

  it('says how long until the next token when it denies', () => {
    const clock = fakeClock();
    const tb = new TokenBucket({ ratePerSecond: 4, burst: 1, clock });
    expect(tb.take('k')).toMatchObject({ allowed: true, remaining: 0, limit: 1 });
    expect(tb.take('k')).toMatchObject({ allowed: false, retryAfterMs: 250 });
    clock.advance(100);
    expect(tb.take('k')).toMatchObject({ allowed: false, retryAfterMs: 150 });
    clock.advance(150);
    expect(tb.take('k').allowed).toBe(true);
  });

  it('keeps keys apart and forgets the least recently used beyond maxKeys', () => {
    const clock = fakeClock();
    const tb = new TokenBucket({ ratePerSecond: 1, burst: 1, maxKeys: 2, clock });
    expect(tb.take('a').allowed).toBe(true);
    expect(tb.take('b').allowed).toBe(true);
    expect(tb.take('a').allowed).toBe(false); // a is now most recent
    expect(tb.take('c').allowed).toBe(true); // evicts b
    expect(tb.size).toBe(2);
    expect(tb.take('b').allowed).toBe(true); // b was forgotten: a fresh bucket
  });

  it('rejects bad options with a TypeError naming them', () => {
    expect(() => new TokenBucket({ ratePerSecond: 0 })).toThrow(
      'TokenBucket: ratePerSecond must be a positive number, got 0',
    );
    expect(() => new TokenBucket({ ratePerSecond: 1, burst: -1 })).toThrow(/burst/);
  });
});
