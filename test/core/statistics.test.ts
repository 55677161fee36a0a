import { describe, expect, it } from 'vitest';
import {
  meanStd,
  percentile,
  percentileOrNull,
  round,
  sortedAscending,
} from '../../src/core/statistics.ts';

const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);

describe('percentile (nearest rank)', () => {
  it('gives the 99th smallest of 100 samples as p99, not the maximum', () => {
    expect(percentile(oneToHundred, 0.99)).toBe(99);
    expect(percentile(oneToHundred, 0.5)).toBe(50);
    expect(percentile(oneToHundred, 1)).toBe(100);
    expect(percentile(oneToHundred, 0)).toBe(1);
  });

  it('answers with a value that was observed, and the maximum once q exceeds (n-1)/n', () => {
    expect(percentile([10, 20, 30], 0.5)).toBe(20);
    expect(percentile([10, 20, 30], 0.67)).toBe(30);
    expect(percentile([10, 20, 30], 0.66)).toBe(20);
    expect(percentile([7], 0.99)).toBe(7);
  });

  it('is NaN (or null) for an empty sample and refuses a q outside [0, 1]', () => {
    expect(percentile([], 0.5)).toBeNaN();
    expect(percentileOrNull([], 0.5)).toBeNull();
    expect(() => percentile([1], 99)).toThrow(/within \[0, 1\]/);
  });

  it('sorts numbers as numbers', () => {
    expect(sortedAscending([10, 9, 100, 1])).toEqual([1, 9, 10, 100]);
    expect(percentile(sortedAscending(new Float64Array([3, 1, 2])), 0.5)).toBe(2);
  });
});

describe('round and meanStd', () => {
  it('rounds to the digits asked', () => {
    expect(round(1.23456)).toBe(1.23);
    expect(round(1.23456, 3)).toBe(1.235);
  });
  it('gives the mean and population standard deviation', () => {
    expect(meanStd([2, 4, 4, 4, 5, 5, 7, 9])).toEqual({ mean: 5, std: 2 });
    expect(meanStd([])).toEqual({ mean: 0, std: 0 });
  });
});
