import { describe, expect, it, vi } from 'vitest';
import { InvalidRequestError, UnavailableError } from '../../src/core/errors.ts';
import { type BreakerState, CircuitBreaker } from '../../src/limits/circuit-breaker.ts';
import { sharedFailure } from '../../src/limits/shared-failure.ts';
import { fakeClock } from './fake-clock.ts';

const fail = () => Promise.reject(new UnavailableError('down'));
const ok = () => Promise.resolve('ok');

describe('CircuitBreaker', () => {
  it('opens after N consecutive failures and fails fast, naming the reason', async () => {
    const clock = fakeClock();
    const b = new CircuitBreaker({
      mode: { kind: 'consecutive', threshold: 3 },
      openMs: 1000,
      clock,
    });
    const changes: string[] = [];
    b.onStateChange((s: BreakerState, prev: BreakerState) =>
      changes.push(`${prev.kind}->${s.kind}`),
    );
    await expect(b.execute(fail)).rejects.toThrow('down');
    await expect(b.execute(fail)).rejects.toThrow('down');
    await b.execute(ok); // a success resets the count
    for (let i = 0; i < 3; i++) await expect(b.execute(fail)).rejects.toThrow('down');
    expect(b.state.kind).toBe('open');
    let called = false;
    const err = await b
      .execute(async () => {
        called = true;
      })
      .catch((e) => e);
    expect(called).toBe(false);
    expect(err).toMatchObject({ reason: 'breaker_open', retryAfterMs: 1000 });
    expect(changes).toEqual(['closed->open']);
  });

  it('counts one failed backend call once, however many callers it served (a micro-batch), and the same error again later as a new failure', async () => {
    const clock = fakeClock();
    const b = new CircuitBreaker({ mode: { kind: 'consecutive', threshold: 3 }, clock });
    // One batch call fails: its 8 searches are rejected with the same error at once.
    const batchError = sharedFailure(new UnavailableError('batch failed'));
    const batch = Array.from({ length: 8 }, () => b.execute(() => Promise.reject(batchError)));
    for (const p of batch) await expect(p).rejects.toThrow('batch failed');
    expect(b.state.kind).toBe('closed');
    // A broken client rejects each later call with its one stored error: failures each.
    for (let i = 0; i < 2; i++) {
      clock.advance(50);
      await expect(b.execute(() => Promise.reject(batchError))).rejects.toThrow('batch failed');
    }
    expect(b.state.kind).toBe('open');
    // An error nobody marked as shared is one failure per caller, at once or not.
    const c = new CircuitBreaker({ mode: { kind: 'consecutive', threshold: 3 }, clock });
    const stored = new UnavailableError('stored');
    for (let i = 0; i < 3; i++)
      await expect(c.execute(() => Promise.reject(stored))).rejects.toThrow('stored');
    expect(c.state.kind).toBe('open');
  });

  it('does not count client errors (4xx) as failures', async () => {
    const b = new CircuitBreaker({
      mode: { kind: 'consecutive', threshold: 2 },
      clock: fakeClock(),
    });
    for (let i = 0; i < 5; i++)
      await expect(b.execute(() => Promise.reject(new InvalidRequestError('bad')))).rejects.toThrow(
        'bad',
      );
    expect(b.state.kind).toBe('closed');
  });

  it('half-open lets N trials through; all succeeding closes it', async () => {
    const clock = fakeClock();
    const b = new CircuitBreaker({
      mode: { kind: 'consecutive', threshold: 1 },
      openMs: 1000,
      halfOpenTrials: 2,
      clock,
    });
    await expect(b.execute(fail)).rejects.toThrow();
    clock.advance(1000);
    expect(b.state.kind).toBe('half-open');
    let release!: () => void;
    const slow = b.execute(() => new Promise<string>((r) => (release = () => r('ok'))));
    const second = b.execute(ok);
    await expect(b.execute(ok)).rejects.toMatchObject({ reason: 'breaker_open' }); // only 2 trials
    await second;
    release();
    await slow;
    expect(b.state.kind).toBe('closed');
  });

  it('re-opens for longer after a failed trial (backoff), capped', async () => {
    const clock = fakeClock();
    const b = new CircuitBreaker({
      mode: { kind: 'consecutive', threshold: 1 },
      openMs: 1000,
      backoffMultiplier: 2,
      maxOpenMs: 3000,
      halfOpenTrials: 1,
      clock,
    });
    await expect(b.execute(fail)).rejects.toThrow();
    const periods: number[] = [];
    for (let i = 0; i < 4; i++) {
      const s = b.state as Extract<BreakerState, { kind: 'open' }>;
      periods.push(s.until - s.openedAt);
      clock.advance(s.until - s.openedAt);
      await expect(b.execute(fail)).rejects.toThrow('down'); // the trial fails
    }
    expect(periods).toEqual([1000, 2000, 3000, 3000]);
    clock.advance(3000);
    await b.execute(ok);
    expect(b.state.kind).toBe('closed');
    await expect(b.execute(fail)).rejects.toThrow();
    const s = b.state as Extract<BreakerState, { kind: 'open' }>;
    expect(s.until - s.openedAt).toBe(1000); // closing reset the backoff
  });

  it('in rate mode opens at the failure ratio once the minimum volume is reached', async () => {
    const clock = fakeClock();
    const b = new CircuitBreaker({
      mode: { kind: 'rate', threshold: 0.5, minVolume: 10, windowMs: 1000 },
      clock,
    });
    for (let i = 0; i < 4; i++) await expect(b.execute(fail)).rejects.toThrow();
    expect(b.state.kind).toBe('closed'); // 4 calls < minVolume
    for (let i = 0; i < 5; i++) await b.execute(ok);
    expect(b.state.kind).toBe('closed'); // 4/9
    await expect(b.execute(fail)).rejects.toThrow(); // 5/10 = 0.5
    expect(b.state.kind).toBe('open');
  });

  it('in rate mode forgets outcomes older than the window', async () => {
    const clock = fakeClock();
    const b = new CircuitBreaker({
      mode: { kind: 'rate', threshold: 0.5, minVolume: 4, windowMs: 1000 },
      clock,
    });
    for (let i = 0; i < 3; i++) await expect(b.execute(fail)).rejects.toThrow();
    clock.advance(1500);
    for (let i = 0; i < 3; i++) await b.execute(ok);
    await expect(b.execute(fail)).rejects.toThrow(); // 1/4 in the window
    expect(b.state.kind).toBe('closed');
  });

  it('lets requests in at arrival: all while closed, none while open, halfOpenTrials at a time while half-open', async () => {
    const clock = fakeClock();
    const b = new CircuitBreaker({
      mode: { kind: 'consecutive', threshold: 1 },
      openMs: 1000,
      halfOpenTrials: 1,
      trialTimeoutMs: 0,
      clock,
    });
    expect(b.enter()).toMatchObject({ trial: false }); // closed: passes, nothing to give back
    await expect(b.execute(fail)).rejects.toThrow('down');
    expect(() => b.enter()).toThrow(/circuit is open/);
    expect(() => b.refuseIfOpen()).toThrow(/circuit is open/);
    clock.advance(1000);
    b.refuseIfOpen(); // half-open: metadata calls of trial requests go through
    const pass = b.enter(); // half-open with a trial free: let in as the trial
    expect(pass.trial).toBe(true);
    // The trial request has not reached its search yet (a metadata call, say):
    // a second arrival is refused all the same.
    expect(() => b.enter()).toThrow(/circuit is half-open/);
    expect(() => b.refuseAtArrival()).toThrow(/circuit is half-open/);
    await b.execute(async () => 'ok');
    b.leave(pass, false);
    expect(b.state.kind).toBe('closed');
    expect(b.enter().trial).toBe(false);
  });

  it('opens again when a trial request fails before any counted call, and ignores a pass from an earlier period', async () => {
    const clock = fakeClock();
    const b = new CircuitBreaker({
      mode: { kind: 'consecutive', threshold: 1 },
      openMs: 1000,
      halfOpenTrials: 2,
      trialTimeoutMs: 0,
      clock,
    });
    await expect(b.execute(fail)).rejects.toThrow('down');
    clock.advance(1000);
    const first = b.enter();
    const second = b.enter();
    expect(() => b.enter()).toThrow(/half-open/);
    b.leave(first, true); // e.g. its metadata call timed out on a backend still down
    expect(b.state).toMatchObject({ kind: 'open', attempt: 1 });
    clock.advance(2000); // the open period, doubled by the failed trial
    expect(b.state.kind).toBe('half-open');
    b.leave(second, true); // from the previous half-open period: changes nothing
    expect(b.state.kind).toBe('half-open');
    b.enter();
    b.enter();
    expect(() => b.enter()).toThrow(/half-open/);
  });

  it('fails a half-open trial that has not answered by its own deadline, and opens again', async () => {
    vi.useFakeTimers();
    try {
      const clock = fakeClock();
      const b = new CircuitBreaker({
        mode: { kind: 'consecutive', threshold: 1 },
        openMs: 1000,
        halfOpenTrials: 1,
        trialTimeoutMs: 300,
        clock,
      });
      await expect(b.execute(fail)).rejects.toThrow();
      clock.advance(1000);
      // A backend that never answers: the trial is refused after 300 ms, not at its call's deadline.
      const hung = b.execute(() => new Promise<string>(() => {}));
      const outcome = hung.catch((e) => e);
      await vi.advanceTimersByTimeAsync(299);
      expect(b.state.kind).toBe('half-open');
      await vi.advanceTimersByTimeAsync(1);
      expect(await outcome).toMatchObject({ reason: 'breaker_open', retryAfterMs: 1000 });
      expect(b.state).toMatchObject({ kind: 'open', attempt: 1 });
    } finally {
      vi.useRealTimers();
    }
  });
});
