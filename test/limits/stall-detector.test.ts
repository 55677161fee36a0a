import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../../src/core/errors.ts';
import { CircuitBreaker } from '../../src/limits/circuit-breaker.ts';
import { StallDetector } from '../../src/limits/stall-detector.ts';
import { fakeClock } from './fake-clock.ts';

/** A call that answers only when told to. */
function pending<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('StallDetector', () => {
  it('calls a backend stalled when calls wait and none finishes, not when one slow call runs alone', () => {
    const d = new StallDetector({ stallMs: 100 });
    d.started(0);
    expect(d.stalled(500)).toBe(false); // one call, however slow: a big search, not a hang
    d.started(10);
    expect(d.stalled(99)).toBe(false);
    expect(d.stalled(100)).toBe(true); // two waiting, nothing finished since work arrived at 0
    d.finished(100, 100);
    expect(d.stalled(150)).toBe(false); // progress
    d.reset();
    expect(d.inFlight).toBe(0);
  });

  it('adapts its bound to the slowest recent call, and forgets a spike slowly', () => {
    const d = new StallDetector({ stallMs: 100, slowFactor: 4 });
    expect(d.boundMs).toBe(100);
    d.started(0);
    d.finished(60, 60);
    expect(d.boundMs).toBe(240);
    for (let i = 0; i < 200; i++) {
      d.started(100 + i);
      d.finished(101 + i, 1);
    }
    expect(d.boundMs).toBe(100);
  });

  it('rejects a non-positive bound', () => {
    expect(() => new StallDetector({ stallMs: 0 })).toThrow(TypeError);
  });
});

describe('CircuitBreaker with stall detection', () => {
  it('opens on a backend that hangs, refuses the searches stuck on it at once, and lets writes finish', async () => {
    const clock = fakeClock();
    const b = new CircuitBreaker({
      mode: { kind: 'consecutive', threshold: 5 },
      stallMs: 250,
      openMs: 1000,
      clock,
    });
    const hung = [pending<string>(), pending<string>(), pending<string>()];
    const searches = hung
      .slice(0, 2)
      .map((h) => b.execute(() => h.promise, undefined, { abandonable: true }).catch((e) => e));
    const write = b.execute(() => hung[2]!.promise).catch((e) => e);
    clock.advance(249);
    expect(() => b.refuseAtArrival()).not.toThrow();
    clock.advance(1);
    // The next arrival finds 3 calls waiting 250 ms with none finished.
    expect(() => b.refuseAtArrival()).toThrow(expect.objectContaining({ reason: 'breaker_open' }));
    expect(b.state.kind).toBe('open');
    for (const refused of await Promise.all(searches))
      expect(refused).toMatchObject({
        reason: 'breaker_open',
        message: expect.stringMatching(
          /backend stalled: 3 calls in flight and none finished in 250 ms/,
        ),
      });
    // The write is not abandoned: it gets its own outcome, whenever the backend gives one.
    hung[2]!.reject(new UnavailableError('connection closed'));
    expect(await write).toBeInstanceOf(UnavailableError);
    // A late answer of an abandoned search changes nothing.
    hung[0]!.resolve('late');
    await Promise.resolve();
    expect(b.state.kind).toBe('open');
  });

  it('does not open on a slow backend that still finishes calls', async () => {
    const clock = fakeClock();
    const b = new CircuitBreaker({
      mode: { kind: 'consecutive', threshold: 5 },
      stallMs: 250,
      clock,
    });
    // Saturated: each call takes 1 s, but one finishes every 100 ms.
    const inFlight: ReturnType<typeof pending<string>>[] = [];
    const results: Promise<unknown>[] = [];
    const start = () => {
      const h = pending<string>();
      inFlight.push(h);
      results.push(b.execute(() => h.promise, undefined, { abandonable: true }));
    };
    // The load grows to 10 calls in flight, one finishing every 100 ms: each takes up to 1 s.
    for (let t = 0; t < 40; t++) {
      start();
      if (inFlight.length < 10) start();
      clock.advance(100);
      if (inFlight.length >= 2) inFlight.shift()!.resolve('ok');
      await Promise.resolve();
      expect(() => b.refuseAtArrival()).not.toThrow();
    }
    for (const h of inFlight) h.resolve('ok');
    await Promise.all(results);
    expect(b.state.kind).toBe('closed');
  });

  it('refuses searches stuck on a backend that froze between arrivals, with no request arriving after them', async () => {
    // The real clock: nothing arrives to ask, so the breaker's own timer has to notice.
    const b = new CircuitBreaker({ mode: { kind: 'consecutive', threshold: 5 }, stallMs: 40 });
    const hung = [pending<string>(), pending<string>()];
    const started = performance.now();
    const outcomes = await Promise.all(
      hung.map((h) =>
        b
          .execute(() => h.promise, undefined, { abandonable: true })
          .then(
            () => ({ error: null, ms: performance.now() - started }),
            (error) => ({ error, ms: performance.now() - started }),
          ),
      ),
    );
    for (const { error, ms } of outcomes) {
      expect(error).toMatchObject({ reason: 'breaker_open' });
      // The bound (40 ms) plus at most one check period (10 ms) and a busy machine's slack.
      expect(ms).toBeGreaterThanOrEqual(39);
      expect(ms).toBeLessThan(1000);
    }
    expect(b.state.kind).toBe('open');
  });
});
