import { describe, expect, it } from 'vitest';
import { EventLoopGuard } from '../../src/limits/event-loop-guard.ts';
import { fakeClock } from './fake-clock.ts';

describe('EventLoopGuard', () => {
  it('refuses while the delay stays above the bound, and admits once the loop caught up', () => {
    const clock = fakeClock();
    const guard = new EventLoopGuard({ maxLagMs: 20, sampleMs: 10, clock });
    clock.advance(10);
    guard.sample(); // on time
    expect(() => guard.check()).not.toThrow();
    clock.advance(60);
    guard.sample(); // the timer ran 50 ms late: one spike is not a standing queue
    expect(guard.lagMs).toBe(50);
    expect(() => guard.check()).not.toThrow();
    clock.advance(40);
    guard.sample(); // late again (30 ms): the delay has lasted
    expect(guard.sustainedLagMs).toBe(30);
    expect(() => guard.check()).toThrow(
      expect.objectContaining({
        reason: 'event_loop_lag',
        message: expect.stringMatching(/30 ms behind \(limit 20 ms\)/),
      }),
    );
    clock.advance(10);
    guard.sample();
    expect(() => guard.check()).not.toThrow();
    expect(guard.refusals).toBe(1);
  });

  it('rejects a non-positive bound', () => {
    expect(() => new EventLoopGuard({ maxLagMs: 0 })).toThrow(TypeError);
  });
});
