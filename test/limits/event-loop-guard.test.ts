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

/** Turns over the bound for longer than the interval, each ended by the timer: the loop is behind. */
function standingQueue(
  guard: EventLoopGuard,
  clock: ReturnType<typeof fakeClock>,
  cpu: ReturnType<typeof fakeCpu>,
) {
  guard.sample();
  for (let i = 0; i < 4; i++) {
    clock.advance(40);
    cpu.use(40);
    guard.sample();
  }
  guard.refusals = 0;
}

describe('EventLoopGuard', () => {
  it('refuses the rest of a turn once it has run past the bound on its own work, and admits after the next tick', () => {
    const { clock, cpu, guard } = warmGuard();
    standingQueue(guard, clock, cpu);
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

  it('admits a backlog the loop works off in one turn, cuts a turn that runs past maxTurnMs, and goes on refusing until the loop keeps up', () => {
    const { clock, cpu, guard } = warmGuard();
    expect(guard.maxTurnMs).toBe(80);
    expect(guard.intervalMs).toBe(100);
    guard.sample();
    // After a pause, 70 ms of requests that arrived meanwhile, run in one turn: admitted.
    clock.advance(80);
    cpu.use(80);
    expect(guard.refusalNow()).toBeNull();
    expect(guard.backlogTurns).toBe(1);
    guard.sample();
    clock.advance(12); // the next turn keeps up
    cpu.use(12);
    expect(guard.refusalNow()).toBeNull();
    guard.sample();
    // A turn alone past maxTurnMs (a flood's first turn) is cut there.
    clock.advance(95);
    cpu.use(95);
    expect(guard.refusalNow()).not.toBeNull();
    guard.sample();
    // Refusing has begun: the next turns are cut at the bound...
    clock.advance(35);
    cpu.use(35);
    expect(guard.refusalNow()).not.toBeNull();
    guard.sample();
    // ...and after the loop kept up for the interval, a lone long turn is a backlog again.
    for (let t = 0; t < 11; t++) {
      clock.advance(10);
      cpu.use(10);
      guard.sample();
    }
    clock.advance(40);
    cpu.use(40);
    expect(guard.refusalNow()).toBeNull();
    expect(guard.refusals).toBe(2);
    expect(guard.backlogTurns).toBe(2);
  });

  it('refuses once every turn has been over the bound for the interval (a standing queue), not before', () => {
    const { clock, cpu, guard } = warmGuard();
    guard.sample();
    const turn = (lag: number) => {
      clock.advance(10 + lag);
      cpu.use(10 + lag);
    };
    // Turns 30 ms behind, one after another: the first ones are admitted...
    turn(30);
    expect(guard.refusalNow()).toBeNull();
    guard.sample();
    turn(30);
    expect(guard.refusalNow()).toBeNull(); // 80 ms since the run of long turns began
    guard.sample();
    turn(30);
    expect(guard.refusalNow()).not.toBeNull(); // 120 ms: a standing queue
    guard.sample();
    // A short turn breaks the run but not the refusing (it lasts the interval)...
    turn(5);
    guard.sample();
    turn(30);
    expect(guard.refusalNow()).not.toBeNull();
    expect(guard.refusals).toBe(2);
  });

  it('under a flood reads the CPU clock at most once a millisecond and builds one refusal per turn', () => {
    const { clock, cpu, guard } = warmGuard();
    standingQueue(guard, clock, cpu);
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
