import { describe, expect, it } from 'vitest';
import { SlidingWindowCounter, SlidingWindowLog } from '../../src/limits/sliding-window.ts';
import { fakeClock } from './fake-clock.ts';

describe('SlidingWindowLog', () => {
  it('never lets more than `limit` through in any window, even across a fixed-window edge', () => {
    const clock = fakeClock(0);
    const log = new SlidingWindowLog({ limit: 5, windowMs: 1000, clock });
    clock.advance(900);
    expect(Array.from({ length: 5 }, () => log.take('k').allowed).every(Boolean)).toBe(true);
    clock.advance(200); // t=1100: a fixed window would reset at 1000
    expect(log.take('k')).toMatchObject({ allowed: false, retryAfterMs: 800 });
    clock.advance(800); // t=1900: the first five leave the window
    expect(log.take('k').allowed).toBe(true);
  });

  it('forgets least recently used keys', () => {
    const log = new SlidingWindowLog({ limit: 1, maxKeys: 1, clock: fakeClock() });
    log.take('a');
    log.take('b');
    expect(log.size).toBe(1);
    expect(log.take('a').allowed).toBe(true);
  });
});

describe('SlidingWindowCounter', () => {
  it('weights the previous window by its overlap', () => {
    const clock = fakeClock(0);
    const sw = new SlidingWindowCounter({ limit: 10, windowMs: 1000, clock });
    for (let i = 0; i < 10; i++) expect(sw.take('k').allowed).toBe(true);
    expect(sw.take('k').allowed).toBe(false);
    clock.advance(1250); // 25% into the next window: previous counts 10 x 0.75 = 7.5
    const allowed = Array.from({ length: 5 }, () => sw.take('k').allowed).filter(Boolean).length;
    expect(allowed).toBe(2); // 7.5 + 2 = 9.5; a third would make 10.5
    clock.advance(500); // 75% in: 10 x 0.25 + 2 = 4.5
    expect(Array.from({ length: 10 }, () => sw.take('k').allowed).filter(Boolean).length).toBe(5);
  });

  it('denies with a Retry-After that, once waited, admits', () => {
    const clock = fakeClock(0);
    const sw = new SlidingWindowCounter({ limit: 4, windowMs: 1000, clock });
    for (let i = 0; i < 4; i++) sw.take('k');
    clock.advance(1100);
    while (sw.take('k').allowed);
    const denied = sw.take('k');
    expect(denied.allowed).toBe(false);
    clock.advance(denied.retryAfterMs);
    expect(sw.take('k').allowed).toBe(true);
  });
});
