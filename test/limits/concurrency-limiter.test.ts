import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OverloadedError } from '../../src/limits/admission-errors.ts';
import { ConcurrencyLimiter, type Permit } from '../../src/limits/concurrency-limiter.ts';

describe('ConcurrencyLimiter', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());
  const clock = () => Date.now();

  it('serves `limit` at once, queues FIFO up to maxQueue, refuses the rest synchronously', async () => {
    const waits: number[] = [];
    const l = new ConcurrencyLimiter({
      limit: 2,
      maxQueue: 2,
      queueTimeoutMs: 1000,
      clock,
      onQueueWait: (ms) => waits.push(ms),
    });
    const a = await l.acquire();
    const b = await l.acquire();
    const order: string[] = [];
    const inOrder = (name: string) => (p: Permit) => {
      order.push(name);
      return p;
    };
    const c = l.acquire().then(inOrder('c'));
    const d = l.acquire().then(inOrder('d'));
    expect(l.queued).toBe(2);
    await expect(l.acquire()).rejects.toMatchObject({ reason: 'queue_full' });
    expect(l.rejections.queue_full).toBe(1);
    await vi.advanceTimersByTimeAsync(30);
    b.release();
    a.release();
    const [pc, pd] = await Promise.all([c, d]);
    expect(order).toEqual(['c', 'd']);
    expect(waits).toEqual([30, 30]);
    expect(l.inFlight).toBe(2);
    pc.release();
    pd.release();
    pd.release(); // a second release is ignored
    expect(l.inFlight).toBe(0);
  });

  it('refuses a request that waited past queueTimeoutMs, and forgets it', async () => {
    const l = new ConcurrencyLimiter({ limit: 1, maxQueue: 5, queueTimeoutMs: 200, clock });
    const held = await l.acquire();
    const waiting = l.acquire();
    const check = expect(waiting).rejects.toMatchObject({ reason: 'queue_timeout' });
    await vi.advanceTimersByTimeAsync(201);
    await check;
    expect(l.queued).toBe(0);
    expect(l.rejections.queue_timeout).toBe(1);
    held.release();
    expect(l.inFlight).toBe(0);
  });

  it('drops a waiter whose signal aborts', async () => {
    const l = new ConcurrencyLimiter({ limit: 1, maxQueue: 5, clock });
    const held = await l.acquire();
    const ac = new AbortController();
    const waiting = l.acquire(ac.signal);
    ac.abort(new Error('client gone'));
    await expect(waiting).rejects.toThrow('client gone');
    expect(l.queued).toBe(0);
    held.release();
    expect(l.inFlight).toBe(0);
  });

  it('without a queue, says which limit refused', async () => {
    const l = new ConcurrencyLimiter({ limit: 1, clock });
    await l.acquire();
    const err = await l.acquire().catch((e) => e);
    expect(err).toBeInstanceOf(OverloadedError);
    expect(err.reason).toBe('concurrency_limit');
    expect(err.message).toMatch(/1 requests in flight \(limit 1\)/);
  });
});

describe('ConcurrencyLimiter controlled delay', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());
  const clock = () => Date.now();

  it('sheds old waiters of a standing queue first, and serves fresh ones fast', async () => {
    const l = new ConcurrencyLimiter({
      limit: 1,
      maxQueue: 100,
      queueTimeoutMs: 10_000,
      queueTargetMs: 50,
      queueIntervalMs: 100,
      clock,
    });
    let held = await l.acquire();
    const old = Array.from({ length: 5 }, () => l.acquire());
    const outcomes = old.map((p) =>
      p.then(
        () => 'served',
        (e) => e.reason as string,
      ),
    );
    await vi.advanceTimersByTimeAsync(200); // the queue has stood for 200 ms
    const fresh = l.acquire();
    await vi.advanceTimersByTimeAsync(10);
    held.release(); // the five old ones are refused at their turn; the fresh one is served
    held = await fresh;
    expect(await Promise.all(outcomes)).toEqual(Array(5).fill('queue_delay'));
    expect(l.rejections.queue_delay).toBe(5);
    held.release();
  });

  it('serves a queue that drains in time, however long each waited below the interval', async () => {
    const l = new ConcurrencyLimiter({
      limit: 1,
      maxQueue: 10,
      queueTargetMs: 5,
      queueIntervalMs: 100,
      clock,
    });
    const held = await l.acquire();
    const waiter = l.acquire();
    await vi.advanceTimersByTimeAsync(60); // above target, but the queue has not stood for an interval
    held.release();
    (await waiter).release();
    expect(l.rejections.queue_delay).toBe(0);
  });
});

/** A simulated millisecond clock: permits are released and promises settled between ticks. */
describe('ConcurrencyLimiter under a simulated load', () => {
  const flush = async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };

  it('in a standing queue refuses newcomers at arrival and serves the rest within about one and a half hold times', async () => {
    let now = 0;
    const l = new ConcurrencyLimiter({
      limit: 2,
      maxQueue: 512,
      queueTimeoutMs: 1000,
      queueTargetMs: 2,
      queueIntervalMs: 100,
      clock: () => now,
    });
    // Two slots of 10 ms: 0.2 requests/ms leave; 1 arrives every ms (5x).
    const active: { release: () => void; until: number }[] = [];
    const late: { servedWait: number[]; refusedWait: number[] } = {
      servedWait: [],
      refusedWait: [],
    };
    for (now = 0; now < 1000; now++) {
      for (const a of active.filter((x) => x.until <= now)) {
        active.splice(active.indexOf(a), 1);
        a.release();
      }
      await flush();
      const arrived = now;
      l.acquire().then(
        (p) => {
          active.push({ release: () => p.release(), until: now + 10 });
          if (arrived >= 300) late.servedWait.push(now - arrived);
        },
        (e) => {
          expect(e.reason).toBe('queue_delay');
          if (arrived >= 300) late.refusedWait.push(now - arrived);
        },
      );
      await flush();
    }
    // Once the queue stood: refused at arrival, served within the target (1.5 hold times, 15 ms) and a hold.
    expect(late.refusedWait.length).toBeGreaterThan(500);
    expect(
      late.refusedWait.filter((w) => w === 0).length / late.refusedWait.length,
    ).toBeGreaterThan(0.9);
    expect(Math.max(...late.servedWait)).toBeLessThanOrEqual(20);
    expect(late.servedWait.length).toBeGreaterThan(100); // the slots stayed busy
  });

  it('does not take a short queue in front of slow requests for overload (a closed loop)', async () => {
    let now = 0;
    const l = new ConcurrencyLimiter({
      limit: 2,
      maxQueue: 100,
      queueTargetMs: 2,
      queueIntervalMs: 100,
      clock: () => now,
    });
    // Four clients, each sending its next request when its last one ends; 4 ms each.
    const active: { release: () => void; until: number }[] = [];
    let refused = 0;
    const send = () =>
      l.acquire().then(
        (p) => active.push({ release: () => p.release(), until: now + 4 }),
        () => refused++,
      );
    for (let c = 0; c < 4; c++) void send();
    for (now = 0; now < 2000; now++) {
      for (const a of active.filter((x) => x.until <= now)) {
        active.splice(active.indexOf(a), 1);
        a.release();
        void send();
      }
      await flush();
    }
    expect(refused).toBe(0);
    expect(l.inFlight + l.queued).toBe(4);
  });
});
