import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { UnavailableError } from '../../src/core/errors.ts';
import { FakeBackend } from '../fakes/fake-backend.ts';
import { body } from '../helpers.ts';
import { serversOnSockets } from '../servers-on-sockets.ts';

const start = serversOnSockets({ concurrencyLimit: 0 });
const search = (url: string) =>
  fetch(`${url}/v1/collections/items/search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"vector":[0,0]}',
  });

/**
 * A server whose event-loop guard is sampled by hand, once the loop has then
 * worked `busyMs` without its timer running. The guard judges only a delay that
 * was the process's own CPU work; on a shared CI machine the busy loop can be
 * descheduled (other test files run beside it), so the process's CPU clock is
 * pinned to the wall clock: these tests are about HTTP; the own-work judgement
 * has unit tests.
 */
async function afterOwnWork(
  config: Parameters<typeof start>[0],
  fake: FakeBackend,
  busyMs: number,
) {
  const cpu = vi
    .spyOn(process, 'cpuUsage')
    .mockImplementation(() => ({ user: Math.round(performance.now() * 1000), system: 0 }));
  onTestFinished(() => cpu.mockRestore());
  const s = await start(config, fake);
  const guard = s.admission.eventLoop!;
  guard.stop();
  guard.sample();
  const until = performance.now() + busyMs;
  while (performance.now() < until);
  return { s, guard };
}

describe('admission control over a real socket', () => {
  it('answers a burst over quota with 429, Retry-After, RateLimit headers and a problem body', async () => {
    const s = await start({
      rateLimit: 5,
      rateLimitBurst: 5,
      rateLimitKey: 'global',
    });
    const responses = await Promise.all(Array.from({ length: 8 }, () => search(s.url)));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    const ok = responses.find((r) => r.status === 200)!;
    expect(ok.headers.get('ratelimit-policy')).toBe('"token-bucket";q=5;w=1');
    expect(ok.headers.get('ratelimit')).toMatch(/^"token-bucket";r=\d;t=\d$/);
    const limited = responses.find((r) => r.status === 429)!;
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.headers.get('ratelimit')).toMatch(/^"token-bucket";r=0;t=1$/);
    expect(limited.headers.get('content-type')).toBe('application/problem+json');
    expect(await body(limited)).toMatchObject({
      status: 429,
      code: 'rate_limited',
      reason: 'rate_limited',
      limit: 5,
    });
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200); // probes are not rate limited
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toContain('vecserve_admission_rejections_total{reason="rate_limited"} 3');
  });

  it('answers a cached repeat without a concurrency slot, and still counts it against the rate limit', async () => {
    const fake = new FakeBackend();
    fake.searchDelayMs = 300;
    const s = await start(
      { concurrencyLimit: 1, queueLimit: 0, queueTargetSeconds: 0, resultCache: 'local' },
      fake,
    );
    const other = (v: number) =>
      fetch(`${s.url}/v1/collections/items/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: `{"vector":[${v},0]}`,
      });
    const first = await search(s.url);
    expect(first.headers.get('x-result-cache')).toBe('miss');
    const firstBody = await body(first);
    // The only slot is taken by a slow search of another vector...
    const slow = other(1);
    await new Promise((r) => setTimeout(r, 50));
    // ...a third vector is refused at once, and the repeat is answered from the cache.
    const t0 = performance.now();
    const [refused, repeat] = await Promise.all([other(2), search(s.url)]);
    expect(refused.status).toBe(503);
    expect(repeat.status, await repeat.clone().text()).toBe(200);
    expect(performance.now() - t0).toBeLessThan(150);
    expect(repeat.headers.get('x-result-cache')).toBe('hit');
    expect(repeat.headers.get('content-type')).toMatch(/^application\/json/);
    const repeatBody = await body(repeat);
    expect(repeatBody.hits).toEqual(firstBody.hits);
    expect(typeof repeatBody.tookMs).toBe('number');
    expect((await slow).status).toBe(200);
    expect(fake.searchCalls).toBe(2);

    const limited = await start({
      rateLimit: 3,
      rateLimitBurst: 3,
      rateLimitKey: 'global',
      resultCache: 'local',
    });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await search(limited.url)).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
  });

  it('sheds a burst past concurrency + queue with an immediate 503, and serves the rest', async () => {
    const fake = new FakeBackend();
    fake.searchDelayMs = 300;
    const s = await start(
      {
        concurrencyLimit: 2,
        queueLimit: 2,
        queueTimeoutSeconds: 5,
        queueTargetSeconds: 0, // this test is about the length bound; 300 ms waits would be shed by delay
      },
      fake,
    );
    const t0 = performance.now();
    const timed = Array.from({ length: 7 }, () =>
      search(s.url).then((r) => ({ r, ms: performance.now() - t0 })),
    );
    const results = await Promise.all(timed);
    const shed = results.filter((x) => x.r.status === 503);
    expect(results.filter((x) => x.r.status === 200)).toHaveLength(4);
    expect(shed).toHaveLength(3);
    for (const x of shed) {
      expect(x.ms).toBeLessThan(250); // refused before any backend call finished
      expect(x.r.headers.get('retry-after')).toBe('1');
      expect(await body(x.r)).toMatchObject({
        status: 503,
        code: 'overloaded',
        reason: 'queue_full',
      });
    }
    expect(fake.searchCalls).toBe(4);
    const stats = await body(fetch(`${s.url}/v1/stats`));
    expect(stats.admission.concurrency).toMatchObject({
      limit: 2,
      inFlight: 0,
      queued: 0,
      rejections: { queue_full: 3 },
    });
  });

  it('refuses with 503 queue_timeout a request that waited too long', async () => {
    const fake = new FakeBackend();
    fake.searchDelayMs = 500;
    const s = await start({ concurrencyLimit: 1, queueLimit: 5, queueTimeoutSeconds: 0.1 }, fake);
    const [first, second] = await Promise.all([search(s.url), search(s.url)]);
    expect(first.status).toBe(200);
    expect(await body(second)).toMatchObject({ status: 503, reason: 'queue_timeout' });
  });

  it('opens the breaker on backend failures, fails fast without calling it, and closes after recovery', async () => {
    const fake = new FakeBackend();
    fake.searchError = new UnavailableError('backend down');
    const s = await start(
      {
        breaker: 'consecutive',
        breakerThreshold: 3,
        breakerOpenSeconds: 0.3,
        breakerTrials: 2,
      },
      fake,
    );
    for (let i = 0; i < 3; i++)
      expect(await body(search(s.url))).toMatchObject({ status: 503, code: 'unavailable' });
    expect(fake.searchCalls).toBe(3);
    const fast = performance.now();
    const open = await search(s.url);
    expect(performance.now() - fast).toBeLessThan(100);
    expect(open.status).toBe(503);
    expect(await body(open)).toMatchObject({ code: 'overloaded', reason: 'breaker_open' });
    expect(fake.searchCalls).toBe(3); // not called while open
    expect(await (await fetch(`${s.url}/metrics`)).text()).toContain('vecserve_breaker_state 2');

    fake.searchError = null; // the backend recovers
    await new Promise((r) => setTimeout(r, 350));
    expect((await search(s.url)).status).toBe(200); // half-open trial 1
    expect((await search(s.url)).status).toBe(200); // trial 2: closes
    expect((await body(fetch(`${s.url}/v1/stats`))).admission.breaker.state).toBe('closed');
    expect(await (await fetch(`${s.url}/metrics`)).text()).toContain('vecserve_breaker_state 0');
  });

  it('refuses with 503 event_loop_lag, before reading the body, while the event loop is behind', async () => {
    const fake = new FakeBackend();
    // The loop works 120 ms without its timer running: the request that comes next
    // meets a turn 110 ms behind, past even the first request's cold-start bound
    // (4 x 20 ms), all of it the process's own work.
    const { s, guard } = await afterOwnWork({ maxEventLoopLagSeconds: 0.02 }, fake, 120);
    const refused = await search(s.url);
    expect(refused.status).toBe(503);
    expect(await body(refused)).toMatchObject({ code: 'overloaded', reason: 'event_loop_lag' });
    expect(fake.searchCalls).toBe(0);
    guard.sample(); // the timer ran: the loop caught up
    expect((await search(s.url)).status).toBe(200);
    expect((await body(fetch(`${s.url}/v1/stats`))).admission.eventLoop).toMatchObject({
      maxLagMs: 20,
      refusals: 1,
    });
  });

  it('serves a lone long turn as a backlog (EVENT_LOOP_BACKLOG), counted in /v1/stats and /metrics', async () => {
    const fake = new FakeBackend();
    // 120 ms of the process's own work with the loop keeping up before: past the bound
    // (even the cold start's 4 x 20 ms) but under 300 ms, so the request is served.
    const { s } = await afterOwnWork(
      { maxEventLoopLagSeconds: 0.02, eventLoopBacklogSeconds: 0.3 },
      fake,
      120,
    );
    expect((await search(s.url)).status).toBe(200);
    expect((await body(fetch(`${s.url}/v1/stats`))).admission.eventLoop).toMatchObject({
      refusals: 0,
      backlogTurns: 1,
    });
    expect(await (await fetch(`${s.url}/metrics`)).text()).toContain(
      'vecserve_event_loop_backlog_turns_total 1',
    );
  });

  it('answers searches stuck on a stalled backend 503 once the stall is seen, long before TIMEOUT', async () => {
    const fake = new FakeBackend();
    const s = await start(
      { breaker: 'consecutive', breakerStallSeconds: 0.2, timeoutSeconds: 30 },
      fake,
    );
    fake.searchDelayMs = 60_000; // the backend stops answering
    const started = performance.now();
    const stuck = [search(s.url), search(s.url)];
    await sleep(300);
    // The next arrival finds 2 calls waiting with none finished for 0.2 s.
    const next = await search(s.url);
    expect(next.status).toBe(503);
    for (const res of await Promise.all(stuck)) {
      expect(res.status).toBe(503);
      expect(await body(res)).toMatchObject({
        reason: 'breaker_open',
        detail: expect.stringMatching(/backend stalled: 2 calls in flight/),
      });
    }
    expect(performance.now() - started).toBeLessThan(5000);
    expect((await body(fetch(`${s.url}/v1/stats`))).admission.breaker.state).toBe('open');
  });

  it('does not count client errors against the backend', async () => {
    const s = await start({ breaker: 'consecutive', breakerThreshold: 2 });
    for (let i = 0; i < 5; i++) {
      const bad = await fetch(`${s.url}/v1/collections/items/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"vector": "x"}',
      });
      expect(bad.status).toBe(400);
    }
    expect((await search(s.url)).status).toBe(200);
  });
});

describe('admission decides before the body is read', () => {
  it('refuses a burst before the framework with whole problem bodies, each with its own request id', async () => {
    const fake = new FakeBackend();
    fake.searchDelayMs = 200;
    const s = await start({ concurrencyLimit: 1, queueLimit: 0 }, fake);
    const send = (id?: string) =>
      fetch(`${s.url}/v1/collections/items/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(id ? { 'x-request-id': id } : {}) },
        body: '{"vector":[0,0]}',
      });
    const slow = send();
    await sleep(50);
    // One error and one path for the whole burst: the body is built once, the id per request.
    const refused = await Promise.all([send('client-7'), send(), send(), send('a.b:c-9')]);
    const bodies = [];
    for (const r of refused) {
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).toBe('1');
      expect(r.headers.get('content-type')).toBe('application/problem+json');
      const b = await body(r);
      expect(b).toMatchObject({
        type: 'urn:vecserve:problem:overloaded',
        status: 503,
        code: 'overloaded',
        reason: 'concurrency_limit',
        instance: '/v1/collections/items/search',
      });
      expect(b.requestId).toBe(r.headers.get('x-request-id'));
      bodies.push(b);
    }
    expect(bodies[0]!.requestId).toBe('client-7');
    expect(bodies[3]!.requestId).toBe('a.b:c-9');
    expect(new Set(bodies.map((b) => b.requestId)).size).toBe(4);
    expect((await slow).status).toBe(200);
  });

  it('never parses the body of a refused request (rate limit, full queue, open breaker)', async () => {
    const { vi } = await import('vitest');
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const fake = new FakeBackend();
      fake.searchDelayMs = 200;
      const s = await start(
        {
          rateLimit: 3,
          rateLimitBurst: 3,
          rateLimitKey: 'global',
          concurrencyLimit: 1,
          queueLimit: 0,
        },
        fake,
      );
      const send = (i: number) =>
        fetch(`${s.url}/v1/collections/items/search`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          // An unknown key: an admitted request parses it, then gets a 400; a refused one never does.
          body: `{"vector":[0,0],"x-marker-${i}":1}`,
        });
      const statuses = (await Promise.all(Array.from({ length: 12 }, (_, i) => send(i)))).map(
        (r) => r.status,
      );
      const refused = statuses.filter((st) => st === 429 || st === 503).length;
      expect(refused).toBeGreaterThanOrEqual(9);
      const parsedBodies = parse.mock.calls.filter(([text]) =>
        String(text).includes('x-marker-'),
      ).length;
      // Only admitted requests reach the parser (they then fail validation or succeed: no matter).
      expect(parsedBodies).toBe(statuses.length - refused);
    } finally {
      parse.mockRestore();
    }
  });
});
