import { describe, expect, it } from 'vitest';
import { EventLoopGuard } from '../../src/limits/event-loop-guard.ts';
import { fakeClock } from './fake-clock.ts';

/** A fake process CPU clock, moved by hand like the wall clock; counts how often it is read. */
function fakeCpu() {
  let used = 0;
  const cpu = () => {
    cpu.reads++;
    return used;
  };
  cpu.reads = 0;
  cpu.use = (ms: number) => {
    used += ms;
  };
  return cpu;
}

/** A guard with a 20 ms bound sampled every 10 ms, past its cold start, on fake clocks. */
function warmGuard() {
  const clock = fakeClock();
  const cpu = fakeCpu();
  const guard = new EventLoopGuard({
    maxLagMs: 20,
    sampleMs: 10,
    coldStartMs: 0,
    clock,
    cpuClock: cpu,
  });
  return { clock, cpu, guard };
}

describe('EventLoopGuard', () => {
  it('refuses the rest of a turn once it has run past the bound on its own work, and admits after the next tick', () => {
    const { clock, cpu, guard } = warmGuard();
    clock.advance(10);
    guard.sample(); // on time
    // A long turn of back-to-back requests: admitted while the timer is under 20 ms late...
    clock.advance(25);
    cpu.use(25);
    expect(() => guard.check()).not.toThrow(); // 15 ms behind
    clock.advance(10);
    cpu.use(10);
    // ...refused once it is 25 ms behind, and the process was busy all along.
    expect(() => guard.check()).toThrow(
      expect.objectContaining({
        reason: 'event_loop_lag',
        message: expect.stringMatching(/25 ms behind on its own work \(limit 20 ms\)/),
      }),
    );
    expect(guard.currentLagMs).toBe(25);
    guard.sample(); // the turn ended, the timer ran
    expect(guard.lagMs).toBe(25);
    expect(() => guard.check()).not.toThrow();
    expect(guard.refusals).toBe(1);
  });

  it('under a flood reads the CPU clock at most once a millisecond and builds one refusal per turn', () => {
    const { clock, cpu, guard } = warmGuard();
    guard.sample();
    const readsAtStart = cpu.reads;
    clock.advance(40);
    cpu.use(40);
    // 100 requests refused back to back in one turn, 10 us apart (1 ms in all).
    const refusals = new Set();
    for (let i = 0; i < 100; i++) {
      refusals.add(guard.refusalNow());
      clock.advance(0.01);
      cpu.use(0.01);
    }
    expect(guard.refusals).toBe(100);
    expect(refusals.size).toBe(1);
    expect(cpu.reads - readsAtStart).toBe(1);
    // The next turn is judged afresh, with its own refusal.
    guard.sample();
    clock.advance(40);
    cpu.use(40);
    const next = guard.refusalNow();
    expect(next).not.toBeNull();
    expect(refusals.has(next)).toBe(false);
    // A turn that was not the process's own work is re-read, at most once a millisecond.
    guard.sample();
    clock.advance(40);
    cpu.use(5);
    const reads = cpu.reads;
    for (let i = 0; i < 100; i++) {
      expect(guard.refusalNow()).toBeNull();
      clock.advance(0.01);
    }
    expect(cpu.reads - reads).toBeLessThanOrEqual(2);
  });

  it('does not refuse a delay the process did not spend working (descheduled on a shared core, paused)', () => {
    const { clock, cpu, guard } = warmGuard();
    guard.sample();
    clock.advance(120);
    cpu.use(30); // 120 ms late, but 30 ms of its own CPU: someone else had the core
    expect(() => guard.check()).not.toThrow();
    expect(guard.notOwnWork).toBe(1);
    expect(guard.refusals).toBe(0);
  });

  it('lets the first turns after the first request run up to 4x the bound, falling back to the bound over the cold start', () => {
    const clock = fakeClock();
    const cpu = fakeCpu();
    const guard = new EventLoopGuard({ maxLagMs: 20, sampleMs: 10, clock, cpuClock: cpu });
    expect(guard.coldStartMs).toBe(3000);
    const turn = (ms: number) => {
      guard.sample();
      clock.advance(10 + ms);
      cpu.use(10 + ms);
    };
    guard.check(); // the first request: the cold start begins
    turn(70); // 70 ms behind at once: under 4 x 20 ms
    expect(() => guard.check()).not.toThrow();
    turn(85); // over even the cold bound
    expect(() => guard.check()).toThrow(expect.objectContaining({ reason: 'event_loop_lag' }));
    clock.advance(1500 - 190); // halfway: the bound is 20 x (1 + 3 x 0.5) = 50 ms
    turn(45);
    expect(() => guard.check()).not.toThrow();
    turn(55);
    expect(() => guard.check()).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/limit 4\d ms/) }),
    );
    clock.advance(3000); // warm: the bound is the bound again
    turn(25);
    expect(() => guard.check()).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/25 ms behind .*\(limit 20 ms\)/) }),
    );
    expect(guard.refusals).toBe(3);
  });

  it('rejects a non-positive bound', () => {
    expect(() => new EventLoopGuard({ maxLagMs: 0 })).toThrow(TypeError);
  });
});
