import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { MilvusPool } from '../../src/backends/milvus/milvus-pool.ts';
import { UnavailableError } from '../../src/core/errors.ts';

// Clients are only lent here, never used for RPCs: no server needed (nothing listens on port 9).
const ADDRESS = '127.0.0.1:9';

describe('MilvusPool', () => {
  const pools: MilvusPool[] = [];
  afterEach(async () => {
    for (const p of pools.splice(0)) await p.drain();
  });
  function pool(opts: Partial<ConstructorParameters<typeof MilvusPool>[0]> = {}) {
    const p = new MilvusPool({ address: ADDRESS, min: 0, max: 1, ...opts });
    pools.push(p);
    return p;
  }
  const gate = () => {
    let open!: () => void;
    const opened = new Promise<void>((r) => (open = r));
    return { open, opened };
  };

  it('rejects at once when the wait queue is full, and on acquire timeout', async () => {
    const p = pool({ maxWaiting: 1, acquireTimeoutMs: 150 });
    const held = gate();
    const holder = p.use(() => held.opened);
    await new Promise((r) => setTimeout(r, 20));
    const waiter = p.use(async () => 'late');
    const t0 = performance.now();
    await expect(p.use(async () => 'x')).rejects.toMatchObject({
      code: 'unavailable',
      detail: { reason: 'pool_queue_full' },
    });
    expect(performance.now() - t0).toBeLessThan(50);
    // The refusal says what the pool held: a full pool, not a slow event loop.
    await expect(waiter).rejects.toMatchObject({
      detail: { reason: 'pool_timeout' },
      message: expect.stringMatching(
        /^no Milvus connection free within 150 ms \(1 of 1 clients lent out, 0 waiting, waited 1\d\d ms\)$/,
      ),
    });
    expect(p.pending).toBe(0);
    held.open();
    await holder;
  });

  it('lends clients in turn and reports size, borrowed and pending', async () => {
    const registry = new Registry();
    const p = pool({ max: 2, registry });
    const held = gate();
    const a = p.use(() => held.opened);
    const b = p.use(() => held.opened);
    await new Promise((r) => setTimeout(r, 20));
    expect(p.borrowed).toBe(2);
    const c = p.use(async () => 'third');
    await new Promise((r) => setTimeout(r, 20));
    expect(p.pending).toBe(1);
    const text = await registry.metrics();
    expect(text).toContain(`vecserve_milvus_pool_borrowed{endpoint="${ADDRESS}"} 2`);
    expect(text).toContain(`vecserve_milvus_pool_pending{endpoint="${ADDRESS}"} 1`);
    held.open();
    expect(await c).toBe('third');
    await Promise.all([a, b]);
    expect(await registry.metrics()).toMatch(
      /vecserve_milvus_pool_acquire_wait_seconds_count\{endpoint="127.0.0.1:9"\} 3/,
    );
  });

  it('replaces a client older than maxLifetimeMs on its next borrow', async () => {
    let now = 0;
    const p = pool({ maxLifetimeMs: 1000, clock: () => now });
    const first = await p.use(async (c) => c);
    expect(await p.use(async (c) => c)).toBe(first);
    now = 1500;
    expect(await p.use(async (c) => c)).not.toBe(first);
  });

  it('replaces a client whose call failed like a broken connection, not one that failed otherwise', async () => {
    const p = pool();
    const first = await p.use(async (c) => c);
    const isConnectionError = (e: unknown) => (e as { code?: number }).code === 14;
    await expect(
      p.use(async () => Promise.reject(new Error('bad input')), { isConnectionError }),
    ).rejects.toThrow('bad input');
    expect(await p.use(async (c) => c)).toBe(first);
    await expect(
      p.use(async () => Promise.reject(Object.assign(new Error('down'), { code: 14 })), {
        isConnectionError,
      }),
    ).rejects.toThrow('down');
    expect(await p.use(async (c) => c)).not.toBe(first);
  });

  it('refuses a signal that has already fired, and bad options with a TypeError', async () => {
    const p = pool();
    const ac = new AbortController();
    ac.abort(new UnavailableError('gone'));
    await expect(p.use(async () => 1, { signal: ac.signal })).rejects.toThrow('gone');
    expect(() => new MilvusPool({ address: ADDRESS, min: 3, max: 2 })).toThrow(TypeError);
    expect(() => new MilvusPool({ address: ADDRESS, acquireTimeoutMs: -1 })).toThrow(
      'acquireTimeoutMs must be a non-negative integer, got -1',
    );
  });

  it('drains: waits for lent clients, then closes all', async () => {
    const p = new MilvusPool({ address: ADDRESS, min: 1, max: 2 });
    const held = gate();
    const lent = p.use(() => held.opened);
    await new Promise((r) => setTimeout(r, 20));
    const drained = p.drain();
    let done = false;
    drained.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(done).toBe(false);
    held.open();
    await lent;
    await drained;
    expect(p.size).toBe(0);
  });
});
