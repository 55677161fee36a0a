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
