import { describe, expect, it } from 'vitest';
import { UsageError } from '../../bench/harness/command-line.ts';
import {
  extraConfiguration,
  goodputCeiling,
  nextCapacityLevel,
} from '../../bench/harness/kinds/overload/command.ts';

describe('overload bench options', () => {
  it('--env variables make one configuration, values may hold "="', () => {
    expect(extraConfiguration(['MAX_EVENT_LOOP_LAG=0.05', 'API_KEYS=a=b'])).toEqual([
      ['MAX_EVENT_LOOP_LAG', '0.05'],
      ['API_KEYS', 'a=b'],
    ]);
    expect(extraConfiguration([])).toEqual([]);
  });

  it('refuses a variable given twice (only its last value would run) and a pair without "="', () => {
    expect(() => extraConfiguration(['MAX_EVENT_LOOP_LAG=0.05', 'MAX_EVENT_LOOP_LAG=0.1'])).toThrow(
      new UsageError(
        '--env MAX_EVENT_LOOP_LAG given twice: all --env variables make one configuration; run once per value',
      ),
    );
    expect(() => extraConfiguration(['WORKERS'])).toThrow('--env takes NAME=VALUE, got "WORKERS"');
    expect(() => extraConfiguration(['=1'])).toThrow(UsageError);
  });

  it('the goodput ceiling a refusal cost leaves: all of capacity when refusals are free, none when one refusal costs a whole request', () => {
    expect(goodputCeiling(10, 1000, 0)).toBe(1);
    // 10x of 1,000/s at 50 us a refusal: 0.5 s of every second on refusals.
    expect(goodputCeiling(10, 1000, 50)).toBeCloseTo((1 - 0.5) / (1 - 0.05), 6);
    expect(goodputCeiling(10, 1000, 1000)).toBe(0);
  });
});

describe('overload capacity loop', () => {
  const levels = (okAt: (c: number) => number, maxConnections = 512) => {
    const sweep: { concurrency: number; okPerSecond: number }[] = [];
    for (
      let c = nextCapacityLevel(sweep, maxConnections);
      c !== null;
      c = nextCapacityLevel(sweep, maxConnections)
    )
      sweep.push({ concurrency: c, okPerSecond: okAt(c) });
    return sweep.map((s) => s.concurrency);
  };

  it('doubles from 1 to 64 and stops there when 64 gained less than 5% over 32', () => {
    expect(levels((c) => Math.min(c, 16) * 100)).toEqual([1, 2, 4, 8, 16, 32, 64]);
  });

  it('goes on past 64 while a doubling still gains 5% (a backend waiting on the network)', () => {
    // Serves up to 200 in flight: 128 gained on 64, 256 on 128 did; 512 did not.
    expect(levels((c) => Math.min(c, 200) * 10)).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512]);
    expect(levels((c) => Math.min(c, 100) * 10)).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256]);
  });

  it('never opens more connections than the clients have, nor more than 1,024', () => {
    expect(levels((c) => c, 100)).toEqual([1, 2, 4, 8, 16, 32, 64]);
    expect(levels((c) => c, 20_000).at(-1)).toBe(1024);
  });
});
