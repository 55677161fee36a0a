/**
 * The cluster-wide rate limit against a real Redis (deploy/redis/redis.sh):
 * several limiters stand for the workers of several hosts. Time is simulated
 * (each step takes requests, every 25 ms of it each worker syncs with Redis),
 * so the figures do not depend on this machine's speed; Redis is real.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../../src/cluster/redis-connection.ts';
import { RedisRateStore } from '../../src/cluster/redis-rate-store.ts';
import { ClusterRateLimiter, type SharedRateStore } from '../../src/limits/cluster-rate-limiter.ts';
import { redisForTest } from './redis-server.ts';

const redis = redisForTest();
const connections: Redis[] = [];
let run = 0;

beforeAll(() => {
  redis.up();
}, 60_000);

afterAll(() => {
  for (const c of connections) c.disconnect();
  redis.cleanup();
});

/** `workers` limiters on one simulated clock, each with its own connection (as hosts have). */
function cluster(workers: number, limit: number, failing?: (worker: number) => boolean) {
  const clock = { now: Date.UTC(2026, 0, 1) + run++ * 3_600_000 }; // a fresh hour: no old windows
  const prefix = `test${run}-${Date.now()}`;
  const limiters = Array.from({ length: workers }, (_, i) => {
    const connection = connectRedis(redis.url, { commandTimeoutMs: 200 });
    connections.push(connection);
    return new ClusterRateLimiter({
      limit,
      store: failing
        ? flaky(new RedisRateStore(connection, { prefix }), () => failing(i))
        : new RedisRateStore(connection, { prefix }),
      worker: `host${i}:1`,
      expectedWorkers: workers,
      now: () => clock.now,
    });
  });
  const ready = () =>
    Promise.all(
      connections.map((c) =>
        c.status === 'ready' ? undefined : new Promise((r) => c.once('ready', r)),
      ),
    );
  /** Offers `perSecond[i]` requests/s to worker i for `seconds`; counts admitted from `countFrom` s. */
  async function offer(perSecond: number[], seconds: number, countFrom = 0) {
    const admitted = limiters.map(() => 0);
    const stepMs = 5;
    const owed = limiters.map(() => 0);
    for (let t = 0; t < seconds * 1000; t += stepMs) {
      for (let i = 0; i < limiters.length; i++) {
        owed[i]! += (perSecond[i]! * stepMs) / 1000;
        while (owed[i]! >= 1) {
          owed[i]!--;
          if (limiters[i]!.take('client-a').allowed && t >= countFrom * 1000) admitted[i]!++;
        }
      }
      clock.now += stepMs;
      // Workers' timers are independent: who reaches Redis first varies from one sync to the next.
      if (clock.now % 25 === 0)
        await Promise.all([...limiters].sort(() => Math.random() - 0.5).map((l) => l.sync()));
    }
    return admitted;
  }
  return { limiters, offer, ready };
}

/** A store whose sync fails when `fails()` says so (a reply later than REDIS_TIMEOUT: the worker's loop was busy). */
function flaky(store: SharedRateStore, fails: () => boolean): SharedRateStore {
  return {
    sync: async (worker, window, deltas) => {
      if (fails()) throw new Error('Command timed out');
      return store.sync(worker, window, deltas);
    },
  };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('ClusterRateLimiter on a real Redis', () => {
  it('holds one limit across 4 workers offered 2.5x of it, within 5%', async () => {
    const { offer, ready } = cluster(4, 400);
    await ready();
    const admitted = await offer([250, 250, 250, 250], 6, 1);
    const perSecond = sum(admitted) / 5;
    console.log(`4 workers, limit 400/s, offered 1000/s: admitted ${perSecond}/s`, admitted);
    expect(Math.abs(perSecond - 400) / 400).toBeLessThan(0.05);
    // One client spread evenly: every worker admits part of it.
    for (const a of admitted) expect(a / 5).toBeGreaterThan(50);
  }, 60_000);

  it('follows skewed traffic: what reaches quiet workers passes, the busy worker gets the rest', async () => {
    const { offer, ready } = cluster(3, 300);
    await ready();
    const admitted = await offer([900, 30, 30], 6, 1);
    const perSecond = sum(admitted) / 5;
    console.log(`3 workers, limit 300/s, offered 900/30/30: admitted ${perSecond}/s`, admitted);
    expect(Math.abs(perSecond - 300) / 300).toBeLessThan(0.05);
    // Every worker holds at least an even share of what is left, so a new host or a quiet
    // path is not starved; the busy worker's share follows its traffic.
    expect(admitted[1]! / 5).toBeGreaterThan(28);
    expect(admitted[2]! / 5).toBeGreaterThan(28);
    expect(admitted[0]! / 5).toBeGreaterThan(220);
  }, 60_000);

  it('holds the limit within 5% while syncs fail now and then (a busy worker misses its Redis timeout)', async () => {
    // Every worker loses about one sync in nine, in runs of one to three: each flap to the
    // local share and back must neither hand out a fresh budget nor lose what was counted.
    let seed = 7;
    const random = () => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    };
    const streak = [0, 0, 0, 0];
    const { offer, ready } = cluster(4, 400, (i) => {
      if (streak[i]! > 0) return streak[i]!-- > 0;
      if (random() < 0.06) streak[i] = Math.floor(random() * 3);
      else return false;
      return true;
    });
    await ready();
    const admitted = await offer([250, 250, 250, 250], 6, 1);
    const perSecond = sum(admitted) / 5;
    console.log(
      `4 workers, limit 400/s, syncs failing now and then: admitted ${perSecond}/s`,
      admitted,
    );
    expect(Math.abs(perSecond - 400) / 400).toBeLessThan(0.05);
  }, 60_000);

  it('does not cut a client under its limit', async () => {
    const { offer, ready } = cluster(4, 400);
    await ready();
    const admitted = await offer([90, 90, 90, 90], 4, 1);
    expect(sum(admitted) / 3).toBeGreaterThan(360 * 0.98);
  }, 60_000);

  it('falls back to per-worker shares at once when Redis dies, never waits on it, and recovers', async () => {
    const { limiters, offer, ready } = cluster(2, 200);
    await ready();
    await offer([300, 300], 2);
    expect(limiters.every((l) => l.shared)).toBe(true);
    redis.kill();
    // The first sync after the crash fails (connection reset): the local share decides.
    const started = performance.now();
    const during = await offer([300, 300], 3, 1);
    expect(limiters.every((l) => !l.shared)).toBe(true);
    // 100 per worker per second (200 / 2 workers): the cluster total still holds.
    const perSecond = sum(during) / 2;
    console.log(`Redis down: admitted ${perSecond}/s (limit 200/s)`, during);
    expect(Math.abs(perSecond - 200) / 200).toBeLessThan(0.05);
    // take() is synchronous: a dead Redis adds no wait (the syncs fail fast, not by timeout).
    const takeCost = performance.now();
    for (let i = 0; i < 10_000; i++) limiters[0]!.take(`k${i % 50}`);
    expect((performance.now() - takeCost) / 10_000).toBeLessThan(0.05); // ms per decision
    expect(performance.now() - started).toBeLessThan(30_000);
    redis.up();
    // ioredis reconnects in the background (every 250 ms): shared again once a sync succeeds.
    const deadline = Date.now() + 10_000;
    while (!limiters.every((l) => l.shared) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      await Promise.all(limiters.map((l) => l.sync()));
    }
    expect(limiters.every((l) => l.shared)).toBe(true);
    const after = await offer([300, 300], 4, 1);
    expect(Math.abs(sum(after) / 3 - 200) / 200).toBeLessThan(0.05);
  }, 90_000);
});
