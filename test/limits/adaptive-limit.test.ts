import { describe, expect, it } from 'vitest';
import { VegasLimit } from '../../src/limits/adaptive-limit.ts';

/**
 * A simulated backend that serves `capacity` requests in parallel at `baseMs`;
 * beyond that, requests queue and latency grows in proportion (M/D/c-like).
 * Offered load is always higher than any limit, so in-flight = limit.
 */
function simulate(limiter: VegasLimit, capacity: number, baseMs: number, rounds: number) {
  const trace: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const inFlight = limiter.limit;
    const latency = baseMs * Math.max(1, inFlight / capacity);
    for (let s = 0; s < 10; s++) limiter.onSample(latency, inFlight, false);
    trace.push(limiter.limit);
  }
  return trace;
}

describe('VegasLimit', () => {
  // Vegas takes the first windows' latency as "no load", so it must start below the knee
  // (the default initial limit is 20); from above, only drops (timeouts) bring it down.
  it.each([
    [20, 5],
    [8, 4],
    [64, 20],
    [200, 20],
  ])(
    'converges just above the concurrency (%i) where latency starts to climb, from %i',
    (capacity, start) => {
      const v = new VegasLimit({ initialLimit: start, maxLimit: 1000, windowSize: 10 });
      const trace = simulate(v, capacity, 10, 400);
      const tail = trace.slice(-100);
      const log = Math.max(1, Math.log10(capacity));
      for (const limit of tail) {
        expect(limit).toBeGreaterThanOrEqual(capacity);
        expect(limit).toBeLessThanOrEqual(Math.ceil(capacity + 6 * log + 2));
      }
    },
  );

  it('shrinks on drops and stays within its bounds', () => {
    const v = new VegasLimit({ initialLimit: 50, minLimit: 5, maxLimit: 60, windowSize: 1 });
    v.onSample(10, 50, false); // sets the no-load latency
    for (let i = 0; i < 200; i++) v.onSample(10, 50, true);
    expect(v.limit).toBe(5);
    for (let i = 0; i < 200; i++) v.onSample(10, v.limit, false);
    expect(v.limit).toBe(60);
  });

  it('does not grow while the server is under-used', () => {
    const v = new VegasLimit({ initialLimit: 40, windowSize: 1 });
    for (let i = 0; i < 100; i++) v.onSample(10, 3, false);
    expect(v.limit).toBe(40);
  });
});
