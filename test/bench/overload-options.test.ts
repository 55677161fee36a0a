import { describe, expect, it } from 'vitest';
import { UsageError } from '../../bench/harness/command-line.ts';
import { extraConfiguration, goodputCeiling } from '../../bench/harness/kinds/overload/command.ts';

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
