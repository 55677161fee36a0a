import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { serversOnSockets } from '../servers-on-sockets.ts';

const start = serversOnSockets({ concurrencyLimit: 0, gracefulTimeoutSeconds: 1 });
// Registered after the servers' hook, so it runs first: sockets go before their servers close.
const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
});

/** A raw socket that collects what the server sends, and when it closed. */
function raw(url: string) {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  sockets.push(socket);
  let received = '';
  let closedAt = 0;
  socket.on('data', (d) => (received += d));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) =>
    socket.on('close', () => {
      closedAt = performance.now();
      resolve();
    }),
  );
  const opened = new Promise<void>((resolve) => socket.on('connect', () => resolve()));
  return { socket, opened, closed, received: () => received, closedAt: () => closedAt };
}

const search = (url: string) =>
  fetch(`${url}/v1/collections/items/search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"vector":[0,0]}',
  });

describe('connection hygiene of the bare server', () => {
  it('cuts slowloris sockets within the headers timeout, with a 408 problem+json, while serving others', async () => {
    const s = await start({ headersTimeoutSeconds: 1 });
    const slow = Array.from({ length: 20 }, () => raw(s.url));
    await Promise.all(slow.map((c) => c.opened));
    const started = performance.now();
    const header = 'POST /v1/collections/items/search HTTP/1.1\r\nhost: x\r\nx-slow: ';
    let i = 0;
    const drip = setInterval(() => {
      for (const c of slow) if (!c.socket.destroyed) c.socket.write(header[i % header.length]!);
      i++;
    }, 200);
    try {
      expect((await search(s.url)).status).toBe(200); // a working client is not held up
      await Promise.all(slow.map((c) => c.closed));
    } finally {
      clearInterval(drip);
    }
    for (const c of slow) {
      expect(c.closedAt() - started).toBeLessThan(3500); // 1 s timeout + the 1 s check interval + slack
      expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
      expect(c.received()).toContain('application/problem+json');
      expect(c.received()).toContain('"code":"request_timeout"');
    }
  });

  it('answers a body that stalls past the request timeout with 408 problem+json', async () => {
    const s = await start({ headersTimeoutSeconds: 0.5, requestTimeoutSeconds: 1 });
    const c = raw(s.url);
    await c.opened;
    c.socket.write(
      'POST /v1/collections/items/search HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"vector":',
    );
    await c.closed;
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(c.received()).toContain('"code":"request_timeout"');
  });

  it("answers a body that stalls past the request's deadline with 408 (the client's fault), not 504", async () => {
    const s = await start({ timeoutSeconds: 0.3, requestTimeoutSeconds: 30 });
    const c = raw(s.url);
    await c.opened;
    c.socket.write(
      'POST /v1/collections/items/search HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"vector":',
    );
    for (let i = 0; i < 40 && !c.received(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(c.received()).toContain('"code":"request_timeout"');
    expect(c.received()).toMatch(/not received within the request's deadline of 300 ms/);
  });

  it('keeps an idle keep-alive socket past the headers timeout (nginx reuses them for a minute)', async () => {
    const s = await start({ headersTimeoutSeconds: 0.5 });
    const c = raw(s.url);
    await c.opened;
    const get = 'GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n';
    c.socket.write(get);
    await new Promise((r) => setTimeout(r, 2000));
    c.socket.write(get);
    await new Promise((r) => setTimeout(r, 200));
    expect(c.received().match(/HTTP\/1\.1 200/g)).toHaveLength(2);
    expect(c.socket.destroyed).toBe(false);
  });

  it('refuses a storm of fresh connections past WORKER_CONNECTIONS instead of closing sockets about to send', async () => {
    const s = await start({ workerConnections: 20 });
    const fresh = Array.from({ length: 30 }, () => raw(s.url));
    await Promise.all(fresh.map((c) => c.opened.catch(() => undefined)));
    await new Promise((r) => setTimeout(r, 100));
    // The first 20 stay open (none has been idle a second); the last 10 were refused.
    const open = fresh.filter((c) => !c.socket.destroyed && c.closedAt() === 0);
    expect(open.length).toBe(20);
    expect(fresh.slice(0, 20).every((c) => c.closedAt() === 0)).toBe(true);
  });

  it('closes the longest-idle sockets to let a working client in at WORKER_CONNECTIONS', async () => {
    const s = await start({ workerConnections: 20 });
    const idle = Array.from({ length: 30 }, () => raw(s.url));
    await Promise.all(idle.map((c) => c.opened));
    await new Promise((r) => setTimeout(r, 1200)); // held idle past the 1 s it takes to count as idle
    for (let n = 0; n < 5; n++) expect((await search(s.url)).status).toBe(200);
    const closed = idle.filter((c) => c.socket.destroyed || c.closedAt() > 0).length;
    expect(closed).toBeGreaterThanOrEqual(10);
  });

  it('answers a malformed request line with 400 and oversized headers with 431, both problem+json', async () => {
    const s = await start();
    const bad = raw(s.url);
    await bad.opened;
    bad.socket.write('NOT A REQUEST\r\n\r\n');
    await bad.closed;
    expect(bad.received()).toMatch(/^HTTP\/1\.1 400 /);
    expect(bad.received()).toContain('"code":"malformed_request"');
    const big = raw(s.url);
    await big.opened;
    big.socket.write(`GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`);
    await big.closed;
    expect(big.received()).toMatch(/^HTTP\/1\.1 431 /);
    expect(big.received()).toContain('application/problem+json');
  });
});
