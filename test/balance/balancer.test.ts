import { describe, expect, it } from 'vitest';
import { Balancer } from '../../src/balance/balancer.ts';
import { RetryBudget } from '../../src/balance/retry-budget.ts';
import { RoundRobin } from '../../src/balance/round-robin.ts';
import { SmoothWeightedRoundRobin } from '../../src/balance/weighted-round-robin.ts';
import { NotFoundError } from '../../src/core/errors.ts';
import { fakeClock } from '../limits/fake-clock.ts';

/** Scripted endpoints: each one's health can be flipped by the test. */
function scripted(ids: string[]) {
  const down = new Set<string>();
  const calls: string[] = [];
  const call = async (id: string) => {
    calls.push(id);
    if (down.has(id)) throw new Error(`connect ECONNREFUSED ${id}`);
    return id;
  };
  return { down, calls, endpoints: ids.map((id) => ({ id, resource: id })), call };
}

/** Endpoint b refuses connections until `up()`, then hangs each call until `release()`. */
function bDownThenHanging() {
  const calls: string[] = [];
  const held: (() => void)[] = [];
  let bDown = true;
  const call = async (id: string) => {
    calls.push(id);
    if (id === 'b' && bDown) throw new Error('connect ECONNREFUSED b');
    if (id === 'b') await new Promise<void>((r) => held.push(r));
    return id;
  };
  return {
    calls,
    call,
    up: () => {
      bDown = false;
    },
    release: () => {
      for (const h of held) h();
    },
  };
}

describe('Balancer', () => {
  it('ejects an endpoint after consecutive failures, for a time that doubles after each failed return', async () => {
    const clock = fakeClock();
    const s = scripted(['a', 'b']);
    const b = new Balancer({
      endpoints: s.endpoints,
      strategy: new RoundRobin(),
      consecutiveFailures: 3,
      ejectionMs: 1000,
      trials: 1,
      slowStartMs: 0,
      retryBudget: new RetryBudget({ clock, minPerSecond: 100 }),
      clock,
    });
    s.down.add('b');
    for (let i = 0; i < 6; i++) expect(await b.execute(s.call, { retry: true })).toBe('a');
    expect(b.stats().find((e) => e.id === 'b')).toMatchObject({
      state: 'ejected',
      failures: 3,
      ejections: 1,
    });
    s.calls.length = 0;
    for (let i = 0; i < 10; i++) await b.execute(s.call, { retry: true });
    expect(s.calls).not.toContain('b');
    // After 1 s it gets a trial; it fails: ejected again for 2 s.
    clock.advance(1000);
    expect(b.stats()[1]!.state).toBe('probation');
    for (let i = 0; i < 2; i++) await b.execute(s.call, { retry: true });
    expect(b.stats()[1]!.state).toBe('ejected');
    clock.advance(1500);
    expect(b.stats()[1]!.state).toBe('ejected');
    clock.advance(500);
    expect(b.stats()[1]!.state).toBe('probation');
  });

  it('caps the share ejected: with 2 of 3 endpoints bad it keeps using all (panic) instead of overloading one', async () => {
    const clock = fakeClock();
    const s = scripted(['a', 'b', 'c']);
    const b = new Balancer({
      endpoints: s.endpoints,
      strategy: new RoundRobin(),
      consecutiveFailures: 1,
      maxEjectedShare: 0.34,
      retryBudget: new RetryBudget({ clock, ratio: 0, minPerSecond: 0 }),
      clock,
    });
    s.down.add('b');
    s.down.add('c');
    for (let i = 0; i < 6; i++) await b.execute(s.call, { retry: false }).catch(() => undefined);
    // Two ejected would be 67% > 34%: all three stay in rotation.
    s.calls.length = 0;
    for (let i = 0; i < 6; i++) await b.execute(s.call, { retry: false }).catch(() => undefined);
    expect(new Set(s.calls)).toEqual(new Set(['a', 'b', 'c']));
  });

  it('when probes alone cause the panic (every health check failing), an endpoint whose calls fail stays out', async () => {
    const clock = fakeClock();
    const s = scripted(['a', 'b']);
    let healthChecks = true;
    const b = new Balancer({
      endpoints: s.endpoints,
      strategy: new RoundRobin(),
      consecutiveFailures: 2,
      ejectionMs: 60_000,
      maxEjectedShare: 0.5,
      probe: async (id) => healthChecks && !s.down.has(id),
      probeFailures: 1,
      probeIntervalMs: 3_600_000,
      retryBudget: new RetryBudget({ clock, ratio: 0, minPerSecond: 0 }),
      clock,
    });
    s.down.add('b'); // b dies: its calls fail and its breaker opens
    for (let i = 0; i < 6; i++) await b.execute(s.call, { retry: false }).catch(() => undefined);
    expect(b.stats()[1]!.state).toBe('ejected');
    healthChecks = false; // then a cluster-wide check fails on every endpoint, a's too
    await b.probeAll();
    expect(b.stats().map((e) => e.state)).toEqual(['probe-failed', 'probe-failed']);
    s.calls.length = 0;
    for (let i = 0; i < 10; i++) expect(await b.execute(s.call, { retry: false })).toBe('a');
    expect(s.calls).not.toContain('b');
    // Calls failing on both (a true panic): both are used again, as the cap says.
    s.down.add('a');
    for (let i = 0; i < 4; i++) await b.execute(s.call, { retry: false }).catch(() => undefined);
    s.calls.length = 0;
    for (let i = 0; i < 4; i++) await b.execute(s.call, { retry: false }).catch(() => undefined);
    expect(new Set(s.calls)).toEqual(new Set(['a', 'b']));
  });

  it('a request its endpoint breaker refused was never sent: it moves to another endpoint at no retry budget, writes too', async () => {
    const clock = fakeClock();
    const { calls, call, up, release } = bDownThenHanging();
    const b = new Balancer({
      endpoints: ['a', 'b'].map((id) => ({ id, resource: id })),
      strategy: new RoundRobin(),
      consecutiveFailures: 1,
      ejectionMs: 1000,
      trials: 1,
      slowStartMs: 0,
      retryBudget: new RetryBudget({ clock, ratio: 0, minPerSecond: 0 }),
      clock,
    });
    await b.execute(call, { retry: false }).catch(() => undefined); // a
    await b.execute(call, { retry: false }).catch(() => undefined); // b fails: ejected
    expect(b.stats()[1]!.state).toBe('ejected');
    clock.advance(1000);
    up();
    expect(b.stats()[1]!.state).toBe('probation');
    // Its one trial goes out and hangs; every other pick of b is refused by its breaker.
    const answers: Promise<string>[] = [];
    for (let i = 0; i < 8; i++) answers.push(b.execute(call, { retry: i % 2 === 0 }));
    expect(calls.filter((c) => c === 'b').length).toBe(2); // the failed call and the trial
    release();
    const results = await Promise.all(answers);
    expect(results.filter((r) => r === 'b')).toHaveLength(1);
    expect(results.filter((r) => r === 'a')).toHaveLength(7);
  });

  it('an error that proves the request never left (no connection) moves it to another endpoint at no retry budget, writes too', async () => {
    const clock = fakeClock();
    const noConnection = Object.assign(new Error('No connection established'), { code: 14 });
    const b = new Balancer({
      endpoints: ['a', 'b'].map((id) => ({ id, resource: id })),
      strategy: new RoundRobin(),
      consecutiveFailures: 100,
      neverSent: (err) => err === noConnection,
      retryBudget: new RetryBudget({ clock, ratio: 0, minPerSecond: 0 }),
      clock,
    });
    const call = async (id: string) => {
      if (id === 'a') throw noConnection;
      return id;
    };
    for (let i = 0; i < 6; i++) expect(await b.execute(call, { retry: false })).toBe('b');
    expect(b.retryBudget.denied).toBe(0);
    // A failure after the request was sent is a retry: a write is not repeated, a read needs budget.
    const sent = async (id: string) => {
      if (id === 'a') throw new Error('connection reset');
      return id;
    };
    const outcomes = await Promise.all(
      Array.from({ length: 4 }, () => b.execute(sent, { retry: false }).catch(() => 'failed')),
    );
    expect(outcomes.filter((o) => o === 'failed').length).toBe(2);
  });

  it('in panic mode an endpoint on probation is still called through its breaker: a few trials, the rest move on', async () => {
    const clock = fakeClock();
    const { calls, call, up, release } = bDownThenHanging();
    let healthChecks = true;
    const b = new Balancer({
      endpoints: ['a', 'b'].map((id) => ({ id, resource: id })),
      strategy: new RoundRobin(),
      consecutiveFailures: 1,
      ejectionMs: 1000,
      trials: 2,
      slowStartMs: 0,
      probe: async () => healthChecks,
      probeFailures: 1,
      probeIntervalMs: 3_600_000,
      retryBudget: new RetryBudget({ clock, ratio: 0, minPerSecond: 0 }),
      clock,
    });
    await b.execute(call, { retry: false }); // a
    await b.execute(call, { retry: false }).catch(() => undefined); // b fails: ejected
    healthChecks = false; // a cluster-wide health check fails on both: panic
    await b.probeAll();
    clock.advance(1000); // b on probation
    expect(b.stats().map((e) => e.state)).toEqual(['probe-failed', 'probe-failed']);
    up();
    calls.length = 0;
    const answers: Promise<string>[] = [];
    for (let i = 0; i < 10; i++) answers.push(b.execute(call, { retry: false }));
    // Its breaker's two trials reach b; the other picks of b went to a, none failed.
    expect(calls.filter((c) => c === 'b')).toHaveLength(2);
    release();
    const results = await Promise.all(answers);
    expect(results.filter((r) => r === 'a')).toHaveLength(8);
  });

  it('hedges a read that has not answered in hedgeAfterMs on another endpoint: the first answer wins, within the budget', async () => {
    const stalled = new Set(['a']);
    const calls: string[] = [];
    const call = async (id: string) => {
      calls.push(id);
      if (stalled.has(id)) await new Promise((r) => setTimeout(r, 300));
      return id;
    };
    const b = new Balancer({
      endpoints: ['a', 'b'].map((id) => ({ id, resource: id })),
      strategy: new RoundRobin(),
      hedgeAfterMs: 20,
      slowStartMs: 0,
      retryBudget: new RetryBudget({ ratio: 0, minPerSecond: 1 }), // 10 retries in its 10 s window
    });
    const t0 = performance.now();
    expect(await b.execute(call, { retry: true })).toBe('b'); // a stalls: b's copy answers
    expect(performance.now() - t0).toBeLessThan(250);
    expect(calls).toEqual(['a', 'b']);
    expect(b.hedges).toEqual({ sent: 1, won: 1 });
    // A fast answer sends no copy.
    stalled.clear();
    calls.length = 0;
    for (let i = 0; i < 4; i++) await b.execute(call, { retry: true });
    expect(calls).toHaveLength(4);
    expect(b.hedges.sent).toBe(1);
    // Writes are never hedged.
    stalled.add('a').add('b');
    calls.length = 0;
    await b.execute(call, { retry: false });
    expect(calls).toHaveLength(1);
    stalled.delete('b');
    // The budget bounds the copies: past it a stalled read waits for its own answer.
    const many = await Promise.all(
      Array.from({ length: 24 }, () => b.execute(call, { retry: true })),
    );
    expect(b.hedges.sent).toBeLessThanOrEqual(10);
    expect(many.filter((r) => r === 'a').length).toBeGreaterThan(0);
  });

  it('a hedged read fails only when both copies fail, with the first error', async () => {
    const call = async (id: string) => {
      await new Promise((r) => setTimeout(r, id === 'a' ? 60 : 10));
      throw new Error(`UNAVAILABLE from ${id}`);
    };
    const b = new Balancer({
      endpoints: ['a', 'b'].map((id) => ({ id, resource: id })),
      strategy: new RoundRobin(),
      hedgeAfterMs: 20,
      consecutiveFailures: 100,
      retryBudget: new RetryBudget({ ratio: 0, minPerSecond: 10 }),
    });
    // a (slow) is hedged on b at 20 ms; b fails at 30 ms, a at 60 ms: b's error came first.
    await expect(b.execute(call, { retry: true })).rejects.toThrow('UNAVAILABLE from b');
    // A read that fails before the hedge is due is retried as before, not hedged.
    const fast = async (id: string) => {
      if (id === 'a') throw new Error('UNAVAILABLE from a');
      return id;
    };
    expect(await b.execute(fast, { retry: true })).toBe('b');
  });

  it('eases a returning endpoint in: 10% of its weight at first, all of it after slowStartMs', async () => {
    const clock = fakeClock();
    const s = scripted(['a', 'b']);
    const b = new Balancer({
      endpoints: s.endpoints,
      strategy: new SmoothWeightedRoundRobin(),
      consecutiveFailures: 1,
      ejectionMs: 100,
      trials: 1,
      slowStartMs: 10_000,
      retryBudget: new RetryBudget({ clock, minPerSecond: 1000 }),
      clock,
    });
    s.down.add('b');
    for (let i = 0; i < 4; i++) await b.execute(s.call, { retry: true });
    s.down.delete('b');
    clock.advance(100);
    for (let i = 0; i < 20 && b.stats()[1]!.state !== 'healthy'; i++)
      await b.execute(s.call, { retry: true });
    expect(b.stats()[1]).toMatchObject({ state: 'healthy', effectiveWeight: 0.1 });
    s.calls.length = 0;
    for (let i = 0; i < 1100; i++) await b.execute(s.call, { retry: true });
    const share = s.calls.filter((c) => c === 'b').length / s.calls.length;
    expect(share).toBeGreaterThan(0.07);
    expect(share).toBeLessThan(0.12);
    clock.advance(5000);
    expect(b.stats()[1]!.effectiveWeight).toBeCloseTo(0.5, 1);
    clock.advance(5000);
    expect(b.stats()[1]!.effectiveWeight).toBe(1);
  });

  it('retries reads on another endpoint, never writes, and not client errors', async () => {
    const clock = fakeClock();
    const s = scripted(['a', 'b']);
    const b = new Balancer({
      endpoints: s.endpoints,
      strategy: new RoundRobin(),
      retryBudget: new RetryBudget({ clock, minPerSecond: 100 }),
      clock,
    });
    s.down.add('a');
    expect(await b.execute(s.call, { retry: true })).toBe('b');
    expect(s.calls).toEqual(['a', 'b']);
    s.calls.length = 0;
    // Round robin is now at a again: a write fails there and is not resent.
    await expect(b.execute(s.call, { retry: false })).rejects.toThrow(/ECONNREFUSED a/);
    expect(s.calls).toEqual(['a']);
    const notFound = async () => {
      throw new NotFoundError('no such collection');
    };
    s.calls.length = 0;
    await expect(b.execute(notFound, { retry: true })).rejects.toThrow(NotFoundError);
    expect(b.retryBudget.allowed).toBe(1);
  });

  it('a retry budget bounds retries in an outage to a share of the traffic', async () => {
    const clock = fakeClock();
    const s = scripted(['a', 'b', 'c']);
    const budget = new RetryBudget({ clock, ratio: 0.2, minPerSecond: 0, windowMs: 10_000 });
    const b = new Balancer({
      endpoints: s.endpoints,
      strategy: new RoundRobin(),
      consecutiveFailures: 1_000_000, // no ejection: isolate the budget
      retryBudget: budget,
      clock,
    });
    for (const id of ['a', 'b', 'c']) s.down.add(id);
    for (let i = 0; i < 100; i++) await b.execute(s.call, { retry: true }).catch(() => undefined);
    // 100 requests, 20% budget: 20 retries, not 200.
    expect(s.calls.length).toBe(120);
    expect(budget.allowed).toBe(20);
    // 80 first retries refused, and the 20 allowed ones refused a second retry.
    expect(budget.denied).toBe(100);
  });

  it("stops retrying when the caller's deadline has passed", async () => {
    const s = scripted(['a', 'b']);
    const b = new Balancer({ endpoints: s.endpoints, strategy: new RoundRobin() });
    const controller = new AbortController();
    const failing = async (id: string) => {
      controller.abort(new Error('deadline'));
      throw new Error(`boom ${id}`);
    };
    await expect(b.execute(failing, { retry: true, signal: controller.signal })).rejects.toThrow(
      /boom a/,
    );
  });

  it('takes an endpoint out after failed active probes, back in when a probe succeeds', async () => {
    const clock = fakeClock();
    const s = scripted(['a', 'b']);
    const b = new Balancer({
      endpoints: s.endpoints,
      strategy: new RoundRobin(),
      probe: async (id) => !s.down.has(id),
      probeFailures: 2,
      probeIntervalMs: 3_600_000,
      clock,
    });
    s.down.add('b');
    await b.probeAll();
    expect(b.stats()[1]!.state).toBe('healthy');
    await b.probeAll();
    expect(b.stats()[1]!.state).toBe('probe-failed');
    s.calls.length = 0;
    for (let i = 0; i < 4; i++) await b.execute(s.call, { retry: false });
    expect(s.calls).toEqual(['a', 'a', 'a', 'a']);
    s.down.delete('b');
    await b.probeAll();
    expect(b.stats()[1]!.state).toBe('healthy');
    b.close();
  });
});
