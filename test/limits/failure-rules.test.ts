import { describe, expect, it } from 'vitest';
import {
  AnyFailureRule,
  ConsecutiveFailures,
  FailureRate,
  failureRule,
} from '../../src/limits/failure-rules.ts';

describe('failure rules', () => {
  it('ConsecutiveFailures says open at the Nth failure in a row, a success restarting the count', () => {
    const r = new ConsecutiveFailures(3);
    expect([false, false].map((ok) => r.record(ok))).toEqual([false, false]);
    expect(r.record(true)).toBe(false);
    expect([false, false, false].map((ok) => r.record(ok))).toEqual([false, false, true]);
    r.reset();
    expect(r.record(false)).toBe(false);
  });

  it('FailureRate opens at the ratio only with the minimum volume, over a rolling window', () => {
    const r = new FailureRate({ threshold: 0.5, minVolume: 4, windowMs: 1000, buckets: 10 });
    expect(r.record(false, 0)).toBe(false); // 1 call
    expect(r.record(false, 100)).toBe(false);
    expect(r.record(true, 200)).toBe(false); // 2/3, below the volume
    expect(r.record(true, 300)).toBe(true); // 2/4 = 0.5
    // A second later the first failures have left the window.
    expect(r.record(true, 1150)).toBe(false); // 1 fail, 3 ok in the window
  });

  it('AnyFailureRule opens on either rule, and every rule keeps counting', () => {
    const streak = new ConsecutiveFailures(2);
    const rate = new FailureRate({ threshold: 0.9, minVolume: 100, windowMs: 1000 });
    const any = new AnyFailureRule([streak, rate]);
    expect(any.record(false, 0)).toBe(false);
    expect(any.record(false, 1)).toBe(true);
    any.reset();
    expect(streak.record(false)).toBe(false); // reset reached the parts
  });

  it('failureRule builds the rule each settings mode names', () => {
    expect(failureRule({ kind: 'consecutive', threshold: 5 })).toBeInstanceOf(ConsecutiveFailures);
    expect(
      failureRule({ kind: 'rate', threshold: 0.5, minVolume: 20, windowMs: 10_000 }),
    ).toBeInstanceOf(FailureRate);
    const outlier = failureRule({
      kind: 'outlier',
      consecutive: 5,
      threshold: 0.5,
      minVolume: 20,
      windowMs: 10_000,
    });
    expect(outlier).toBeInstanceOf(AnyFailureRule);
  });

  it('refuses nonsense with a TypeError naming the value', () => {
    expect(() => new ConsecutiveFailures(0)).toThrow(/positive integer, got 0/);
    expect(() => new FailureRate({ threshold: 2, minVolume: 1, windowMs: 1 })).toThrow(
      /\(0, 1\], got 2/,
    );
  });
});
