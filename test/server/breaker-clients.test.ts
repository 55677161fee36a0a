import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../../src/core/errors.ts';
import { startServer } from '../../src/server/compose.ts';
import { FakeBackend } from '../fakes/fake-backend.ts';
import { body, silentLogger, testConfig } from '../helpers.ts';
import { serversOnSockets } from '../servers-on-sockets.ts';

const start = serversOnSockets({
  concurrencyLimit: 0,
  breaker: 'consecutive',
  breakerThreshold: 5,
  breakerOpenSeconds: 30,
  breakerMaxOpenSeconds: 60,
});

const searchBody = '{"vector":[0,0]}';
const search = (url: string, signal?: AbortSignal) =>
  fetch(`${url}/v1/collections/items/search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: searchBody,
    signal,
  });
const breakerState = async (url: string) =>
  (await body(fetch(`${url}/v1/stats`))).admission.breaker.state as string;

/** Sends the headers and half of a body, then holds the socket open until `holdMs`, then closes it. */
function halfUpload(url: string, holdMs: number): Promise<void> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(
        `POST /v1/collections/items/search HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${searchBody.length}\r\n\r\n${searchBody.slice(0, 6)}`,
      );
      setTimeout(() => socket.destroy(), holdMs);
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve());
  });
}

describe('the breaker counts backend failures only', () => {
  it('stays closed when eight clients give up on slow searches', async () => {
    const fake = new FakeBackend();
    fake.searchDelayMs = 400;
    const s = await start({}, fake);
    const gaveUp = await Promise.allSettled(
      Array.from({ length: 8 }, () => search(s.url, AbortSignal.timeout(100))),
    );
    expect(gaveUp.every((r) => r.status === 'rejected')).toBe(true);
    await new Promise((r) => setTimeout(r, 100)); // the server notices the closed sockets
    expect(fake.searchCalls).toBe(8);
    expect(await breakerState(s.url)).toBe('closed');
    fake.searchDelayMs = 0;
    expect((await search(s.url)).status).toBe(200);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    // Recorded as abandoned (499, as nginx logs it), not as a server failure.
    expect(metrics).toMatch(
      /vecserve_http_request_duration_seconds_count\{[^}]*status="499"[^}]*\} 8/,
    );
  });

  it('stays closed when six clients upload half a body and stall past the deadline', async () => {
    const fake = new FakeBackend();
    const s = await start({ timeoutSeconds: 0.3 }, fake);
    await Promise.all(Array.from({ length: 6 }, () => halfUpload(s.url, 700)));
    expect(fake.searchCalls).toBe(0); // no stalled body ever reached the backend
    expect(await breakerState(s.url)).toBe('closed');
    expect((await search(s.url)).status).toBe(200);
  });

  it('stays closed on the embedded backend when six clients upload half a body', async () => {
    const { EmbeddedBackend } = await import('../../src/backends/embedded/embedded-backend.ts');
    const { tempDir } = await import('../helpers.ts');
    const { dir, cleanup } = tempDir();
    try {
      const embedded = new EmbeddedBackend({ dataDir: dir, mode: 'writable' });
      await embedded.init();
      await embedded.createCollection({ name: 'items', dimension: 2, metric: 'L2', fields: [] });
      await embedded.write('items', [{ id: 'a', vector: [0, 0], fields: {} }], { mode: 'insert' });
      const s = await startServer(
        testConfig({
          concurrencyLimit: 0,
          breaker: 'consecutive',
          breakerThreshold: 5,
          timeoutSeconds: 0.3,
        }),
        silentLogger,
        embedded,
      );
      try {
        await Promise.all(Array.from({ length: 6 }, () => halfUpload(s.url, 700)));
        expect(await breakerState(s.url)).toBe('closed');
        expect(await body(search(s.url))).toMatchObject({ hits: [{ id: 'a' }] });
      } finally {
        await s.close(); // before its data directory goes
      }
    } finally {
      cleanup();
    }
  });

  it('still opens on backend failures, and a passing health probe ends a long open period early', async () => {
    const fake = new FakeBackend();
    fake.searchError = new UnavailableError('backend down');
    fake.healthy = { ok: false, reason: 'down' };
    const s = await start({ breakerProbeSeconds: 0.1, breakerTrials: 1 }, fake);
    for (let i = 0; i < 5; i++) expect((await search(s.url)).status).toBe(503);
    expect(await breakerState(s.url)).toBe('open');
    const refused = await search(s.url);
    expect(await body(refused)).toMatchObject({ code: 'overloaded', reason: 'breaker_open' });
    expect(refused.headers.get('retry-after')).not.toBeNull();
    // The backend comes back; the open period (30 s) is far from over.
    fake.searchError = null;
    fake.healthy = { ok: true };
    const back = performance.now();
    let status = 0;
    while (status !== 200 && performance.now() - back < 5000) {
      status = (await search(s.url)).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(200);
    expect(performance.now() - back).toBeLessThan(2000);
    expect(await breakerState(s.url)).toBe('closed');
  });
});
