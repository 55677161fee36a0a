import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedBackend } from '../../src/backends/embedded/embedded-backend.ts';
import { ensureDemoCollection } from '../../src/data/demo-collection.ts';
import { SyntheticVectors } from '../../src/data/synthetic-vectors.ts';
import { startServer } from '../../src/server/compose.ts';
import type { RunningServer } from '../../src/server/http-server.ts';
import { FakeBackend } from '../fakes/fake-backend.ts';
import { body, silentLogger, tempDir, testConfig } from '../helpers.ts';

const json = (body: unknown, method = 'POST'): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

describe('every route through a real socket (embedded backend)', () => {
  const { dir, cleanup } = tempDir();
  let running: RunningServer;
  const gen = new SyntheticVectors({ dimension: 16, seed: 5 });
  const vec = () => Array.from(gen.next());

  /** A server over the 16-d demo collection of `size` rows in `dataDir`. */
  async function demoServer(dataDir: string, size: number, searchThreads = 0) {
    const config = testConfig({ dataDir, demoSize: size, demoDimension: 16 });
    const backend = new EmbeddedBackend({ dataDir, mode: 'writable', searchThreads });
    await backend.init();
    await ensureDemoCollection(backend, {
      name: 'products',
      size,
      dimension: 16,
      logger: silentLogger,
    });
    return startServer(config, silentLogger, backend);
  }

  beforeAll(async () => {
    running = await demoServer(dir, 500);
  });
  afterAll(async () => {
    await running.close();
    cleanup();
  });

  it('serves probes, stats and metrics', async () => {
    expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
    expect(await body(fetch(`${running.url}/readyz`))).toEqual({
      status: 'ready',
      backend: 'embedded',
    });
    const stats = await body(fetch(`${running.url}/v1/stats`));
    expect(stats.backend).toBe('embedded');
    expect(stats.searches).toBeNull(); // no search threads: every search on the loop
    const metrics = await (await fetch(`${running.url}/metrics`)).text();
    expect(metrics).toContain('vecserve_http_requests_in_flight');
    expect(metrics).not.toContain('vecserve_searches_total{');
  });

  it('says where searches ran when there are search threads: fresh writes included, on a thread', async () => {
    const threadsDir = tempDir();
    const threaded = await demoServer(threadsDir.dir, 300, 1);
    try {
      const base = `${threaded.url}/v1/collections/products`;
      const row = { id: 'fresh', vector: vec(), category: 'A', price: 1 };
      expect((await fetch(`${base}/vectors`, json({ rows: [row] }))).status).toBe(200);
      for (let i = 0; i < 3; i++) {
        const found = await body(fetch(`${base}/search`, json({ vector: row.vector, topK: 1 })));
        expect(found.hits[0].id).toBe('fresh');
      }
      const stats = await body(fetch(`${threaded.url}/v1/stats`));
      expect(stats.searches).toEqual({ threads: 3, loop: 0, threadFailures: 0, threadStale: 0 });
      const metrics = await (await fetch(`${threaded.url}/metrics`)).text();
      expect(metrics).toContain('vecserve_searches_total{ran="thread"} 3');
      expect(metrics).toContain('vecserve_searches_total{ran="loop"} 0');
    } finally {
      await threaded.close();
      threadsDir.cleanup();
    }
  });

  it('describes, searches, batch-searches, writes and deletes', async () => {
    const base = `${running.url}/v1/collections/products`;
    expect((await body(fetch(base))).count).toBe(500);
    const one = await body(
      fetch(
        `${base}/search`,
        json({ vector: vec(), topK: 10, filter: { category: 'A' }, outputFields: ['category'] }),
      ),
    );
    expect(one.hits).toHaveLength(10);
    expect(one.hits.every((h: { fields: { category: string } }) => h.fields.category === 'A')).toBe(
      true,
    );
    const batch = await body(
      fetch(`${base}/search/batch`, json({ vectors: [vec(), vec()], topK: 4 })),
    );
    expect(batch.results.map((r: unknown[]) => r.length)).toEqual([4, 4]);
    const put = await body(
      fetch(
        `${base}/vectors`,
        json({ rows: [{ id: 'sock', vector: vec(), category: 'B', price: 3 }] }),
      ),
    );
    expect(put.ids).toEqual(['sock']);
    const del = await body(fetch(`${base}/vectors`, json({ ids: ['sock'] }, 'DELETE')));
    expect(del.deleted).toBe(1);
  });

  it('lists, creates and drops collections', async () => {
    const base = `${running.url}/v1/collections`;
    const created = await fetch(base, json({ name: 'scratch', dimension: 4, metric: 'COSINE' }));
    expect(created.status).toBe(201);
    expect((await body(fetch(base))).collections).toEqual(['products', 'scratch']);
    expect((await fetch(`${base}/scratch`, { method: 'DELETE' })).status).toBe(204);
    expect((await body(fetch(base))).collections).toEqual(['products']);
  });

  it('answers malformed JSON and oversized bodies with 400 and 413 problem+json', async () => {
    const bad = await fetch(`${running.url}/v1/collections/products/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"vector":',
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toBe('application/problem+json');
    const big = await fetch(
      `${running.url}/v1/collections/products/search`,
      json({ vector: vec(), pad: 'x'.repeat(11 * 1024 * 1024) }),
    );
    expect(big.status).toBe(413);
    expect((await body(big)).code).toBe('payload_too_large');
  });
});

describe('deadlines, readiness and shutdown (HTTP layer, scripted backend)', () => {
  async function start(fake: FakeBackend, overrides = {}) {
    return startServer(
      testConfig({ timeoutSeconds: 5, gracefulTimeoutSeconds: 5, ...overrides }),
      silentLogger,
      fake,
    );
  }
  const search = (url: string, signal?: AbortSignal) =>
    fetch(`${url}/v1/collections/items/search`, { ...json({ vector: [0, 0] }), signal });

  it('answers 504 at the deadline and aborts the backend call', async () => {
    const fake = new FakeBackend();
    fake.searchDelayMs = 10_000;
    const running = await start(fake, { timeoutSeconds: 0.2 });
    try {
      const t0 = performance.now();
      const res = await search(running.url);
      expect(res.status).toBe(504);
      expect(performance.now() - t0).toBeLessThan(2000);
      expect((await body(res)).detail).toMatch(/deadline of 200 ms/);
      expect(fake.seenSignals[0]!.aborted).toBe(true);
    } finally {
      await running.close();
    }
  });

  it('cancels the backend call when the client disconnects', async () => {
    const fake = new FakeBackend();
    fake.searchDelayMs = 10_000;
    const running = await start(fake);
    try {
      const ac = new AbortController();
      const pending = search(running.url, ac.signal).catch(() => 'aborted');
      await waitFor(() => fake.seenSignals.length === 1);
      ac.abort();
      expect(await pending).toBe('aborted');
      await waitFor(() => fake.seenSignals[0]!.aborted);
    } finally {
      await running.close();
    }
  });

  it('reports not ready with the reason while the backend is down, and ready again after', async () => {
    const fake = new FakeBackend();
    const running = await start(fake);
    try {
      fake.healthy = { ok: false, reason: 'connection refused' };
      const down = await fetch(`${running.url}/readyz`);
      expect(down.status).toBe(503);
      expect(down.headers.get('retry-after')).toBe('1');
      expect(await body(down)).toMatchObject({ reason: 'connection refused', backend: 'fake' });
      fake.healthy = { ok: true };
      expect((await fetch(`${running.url}/readyz`)).status).toBe(200);
    } finally {
      await running.close();
    }
  });

  it('probes at once share one backend health call; one the backend never answers fails at its deadline and the next asks anew', async () => {
    const fake = new FakeBackend();
    fake.healthDelayMs = 200;
    const running = await start(fake);
    try {
      const probes = await Promise.all(
        Array.from({ length: 20 }, () => fetch(`${running.url}/readyz`)),
      );
      expect(probes.map((r) => r.status)).toEqual(Array(20).fill(200));
      expect(fake.healthCalls).toBe(1);
      expect((await fetch(`${running.url}/readyz`)).status).toBe(200);
      expect(fake.healthCalls).toBe(2);
      fake.healthDelayMs = Number.POSITIVE_INFINITY;
      const t0 = performance.now();
      const stuck = await fetch(`${running.url}/readyz`);
      expect(stuck.status).toBe(503);
      expect((await body(stuck)).reason).toMatch(/did not answer within 2000 ms/);
      expect(performance.now() - t0).toBeLessThan(3000);
      fake.healthDelayMs = 0;
      expect((await fetch(`${running.url}/readyz`)).status).toBe(200);
      expect(fake.healthCalls).toBe(4);
    } finally {
      await running.close();
    }
  });

  it('on shutdown finishes the in-flight request, refuses new connections and closes the backend', async () => {
    const fake = new FakeBackend();
    fake.searchDelayMs = 400;
    const running = await start(fake);
    const inFlight = rawPost(running.port, '/v1/collections/items/search', { vector: [0, 0] });
    await waitFor(() => fake.seenSignals.length === 1);
    const closing = running.close();
    await expect(
      rawPost(running.port, '/v1/collections/items/search', { vector: [0, 0] }),
    ).rejects.toThrow(/ECONNREFUSED/);
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(res.headers.connection).toBe('close');
    expect(JSON.parse(res.body).hits).toHaveLength(1);
    await closing;
    expect(fake.closed).toBe(true);
  });

  it('cuts requests still running when graceful_timeout expires', async () => {
    const fake = new FakeBackend();
    fake.searchDelayMs = 10_000;
    const running = await start(fake, { gracefulTimeoutSeconds: 0.2 });
    const inFlight = rawPost(running.port, '/v1/collections/items/search', { vector: [0, 0] });
    await waitFor(() => fake.seenSignals.length === 1);
    const t0 = performance.now();
    await running.close();
    expect(performance.now() - t0).toBeLessThan(2000);
    await expect(inFlight).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(fake.closed).toBe(true);
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A plain http.request (no connection reuse) so connection behaviour is visible. */
function rawPost(port: number, path: string, body: unknown) {
  return new Promise<{
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: string;
  }>((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}
