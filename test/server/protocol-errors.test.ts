import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { body } from '../helpers.ts';
import { serversOnSockets } from '../servers-on-sockets.ts';

const start = serversOnSockets();

/** Sends raw bytes and returns everything the server wrote until it closed or 2 s passed. */
function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let out = '';
    socket.setEncoding('latin1');
    socket.on('data', (d) => {
      out += d;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(out));
    setTimeout(() => socket.destroy(), 2000);
    socket.write(request);
  });
}

describe('protocol-level errors as problem+json', () => {
  it('a body nested 10,000 deep is a 400 on every route that reads one, never a 500', async () => {
    const s = await start();
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const routes: [string, string, string][] = [
      ['POST', '/v1/collections', `{"name":"x","dimension":2,"fields":${deep}}`],
      ['POST', '/v1/collections/items/search', `{"vector":${deep}}`],
      ['POST', '/v1/collections/items/search/batch', `{"vectors":[[0,0]],"filter":${deep}}`],
      ['POST', '/v1/collections/items/vectors', `{"rows":${deep}}`],
      ['DELETE', '/v1/collections/items/vectors', `{"ids":${deep}}`],
    ];
    for (const [method, path, payload] of routes) {
      const res = await fetch(`${s.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: payload,
      });
      expect(res.status, `${method} ${path}`).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect((await body(res)).detail).toMatch(/nests arrays\/objects deeper than 32/);
    }
  });

  it('405 with Allow for a known path and another method, HEAD and OPTIONS included', async () => {
    const s = await start();
    const cases: [string, string, string][] = [
      ['HEAD', '/v1/collections/items/search', 'POST'],
      ['GET', '/v1/collections/items/search', 'POST'],
      ['OPTIONS', '/v1/collections', 'GET, HEAD, POST'],
      ['PUT', '/v1/collections/items', 'GET, HEAD, DELETE'],
      ['PATCH', '/v1/collections/items/vectors', 'POST, DELETE'],
      ['POST', '/healthz', 'GET, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      const res = await fetch(`${s.url}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get('allow')).toBe(allow);
      if (method !== 'HEAD') {
        expect(res.headers.get('content-type')).toBe('application/problem+json');
        expect((await body(res)).code).toBe('method_not_allowed');
      }
    }
    expect((await fetch(`${s.url}/healthz`, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(`${s.url}/nowhere`)).status).toBe(404);
  });

  it('Expect other than 100-continue: 417 problem+json', async () => {
    const s = await start();
    const out = await raw(
      s.port,
      'POST /v1/collections/items/search HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nContent-Length: 2\r\n\r\n{}',
    );
    expect(out).toMatch(/^HTTP\/1\.1 417/);
    expect(out).toMatch(/content-type: application\/problem\+json/i);
    expect(out).toMatch(/"code":"expectation_failed"/);
  });

  it('a malformed request line and an unknown method get 400 problem+json', async () => {
    const s = await start();
    for (const req of ['BREW / HTTP/1.1\r\nHost: x\r\n\r\n', 'GET /\x01 HTTP/1.1\r\n\r\n']) {
      const out = await raw(s.port, req);
      expect(out).toMatch(/^HTTP\/1\.1 400/);
      expect(out).toMatch(/application\/problem\+json/);
    }
  });

  it('echoes a front door X-Request-Id (or makes one) in the response and in problem bodies', async () => {
    const s = await start();
    const res = await fetch(`${s.url}/v1/collections/nope`, {
      headers: { 'x-request-id': 'abc123def' },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toBe('abc123def');
    expect((await body(res)).requestId).toBe('abc123def');
    const made = await fetch(`${s.url}/v1/collections/nope`, {
      headers: { 'x-request-id': 'has spaces <script>' },
    });
    const id = made.headers.get('x-request-id')!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await body(made)).requestId).toBe(id);
  });
});
