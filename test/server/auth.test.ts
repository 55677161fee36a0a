import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiKeys, newKey, parseKeyFile, parseKeyList } from '../../src/server/auth/api-keys.ts';
import { body, tempDir } from '../helpers.ts';
import { serversOnSockets } from '../servers-on-sockets.ts';

const start = serversOnSockets();

const KEYS =
  'reader:search:reader-secret-0123456789,writer:write:writer-secret-0123456789,root:admin:root-secret-0123456789';
const json = { 'content-type': 'application/json' };

/** One request per role a route needs: search, write, admin. */
const calls = {
  search: (url: string, h: Record<string, string>) =>
    fetch(`${url}/v1/collections/items/search`, {
      method: 'POST',
      headers: { ...json, ...h },
      body: '{"vector":[0,0]}',
    }),
  write: (url: string, h: Record<string, string>) =>
    fetch(`${url}/v1/collections/items/vectors`, {
      method: 'POST',
      headers: { ...json, ...h },
      body: '{"rows":[{"id":"a","vector":[0,0]}]}',
    }),
  admin: (url: string, h: Record<string, string>) =>
    fetch(`${url}/v1/collections/items`, { method: 'DELETE', headers: h }),
};

describe('API keys with roles, over a real socket', () => {
  it('401 without a key or with an unknown one; 403 when the role is short; each role reaches its routes', async () => {
    const s = await start({ apiKeys: KEYS });
    const none = await calls.search(s.url, {});
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toBe('application/problem+json');
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await body(none)).code).toBe('unauthorized');
    expect(
      (await calls.search(s.url, { authorization: 'Bearer not-a-key-at-all-123' })).status,
    ).toBe(401);

    const as = (secret: string) => ({ authorization: `Bearer ${secret}` });
    const expected: Record<string, Record<keyof typeof calls, number>> = {
      'reader-secret-0123456789': { search: 200, write: 403, admin: 403 },
      'writer-secret-0123456789': { search: 200, write: 200, admin: 403 },
      'root-secret-0123456789': { search: 200, write: 200, admin: 204 },
    };
    for (const [secret, byRoute] of Object.entries(expected)) {
      for (const route of ['search', 'write', 'admin'] as const) {
        const res = await calls[route](s.url, as(secret));
        expect(res.status, `${secret} on ${route}`).toBe(byRoute[route]);
        if (res.status === 403) {
          const p = await body(res);
          expect(p.code).toBe('forbidden');
          expect(p.detail).toMatch(/needs (write|admin)/);
          expect(JSON.stringify(p)).not.toContain(secret); // the key is never echoed
        }
      }
    }
    // X-API-Key works too; /healthz and /readyz need nothing.
    expect((await calls.search(s.url, { 'x-api-key': 'reader-secret-0123456789' })).status).toBe(
      200,
    );
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    expect(
      (await fetch(`${s.url}/v1/stats`, { headers: as('reader-secret-0123456789') })).status,
    ).toBe(403);
    expect(
      (await fetch(`${s.url}/v1/stats`, { headers: as('root-secret-0123456789') })).status,
    ).toBe(200);
  });

  it('refuses an unauthenticated request before reading its body', async () => {
    const s = await start({ apiKeys: KEYS });
    // A body that never finishes: only a decision from the headers can answer it.
    const controller = new AbortController();
    const res = await fetch(`${s.url}/v1/collections/items/vectors`, {
      method: 'POST',
      headers: { ...json, 'content-length': '1000000' },
      body: new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode('{"rows":[')) }),
      duplex: 'half',
      signal: controller.signal,
    } as RequestInit);
    expect(res.status).toBe(401);
    controller.abort();
  });

  it('without keys: search answers anyone, writes and admin only local clients; behind a proxy a public client is not local', async () => {
    const s = await start({ apiKeys: '', trustProxy: true });
    expect((await calls.search(s.url, {})).status).toBe(200);
    expect((await calls.write(s.url, {})).status).toBe(200); // loopback, no proxy headers
    // As through the stack's nginx: loopback peer, X-Real-IP of the client nginx saw.
    const viaNginx = { 'x-real-ip': '203.0.113.7', 'x-forwarded-for': '127.0.0.1, 203.0.113.7' };
    expect((await calls.search(s.url, viaNginx)).status).toBe(200);
    const w = await calls.write(s.url, viaNginx);
    expect(w.status).toBe(403);
    expect((await body(w)).detail).toMatch(/no API keys are configured/);
    expect((await calls.admin(s.url, viaNginx)).status).toBe(403);
    // A local client through nginx is local.
    expect((await calls.admin(s.url, { 'x-real-ip': '127.0.0.1' })).status).toBe(204);
  });

  it('without TRUST_PROXY, a proxied request is never local (a spoofed X-Real-IP: 127.0.0.1 does not open writes)', async () => {
    const s = await start({ apiKeys: '', trustProxy: false });
    expect((await calls.write(s.url, { 'x-real-ip': '127.0.0.1' })).status).toBe(403);
    expect((await calls.write(s.url, { 'x-forwarded-for': '127.0.0.1' })).status).toBe(403);
  });

  it('ALLOW_UNAUTHENTICATED opens write and admin routes to every client', async () => {
    const s = await start({ apiKeys: '', allowUnauthenticated: true, trustProxy: true });
    expect((await calls.write(s.url, { 'x-real-ip': '203.0.113.7' })).status).toBe(200);
  });
});

describe('API key storage', () => {
  it('keys files hold hashes only; a new key verifies and is unknown when altered', () => {
    const { dir, cleanup } = tempDir();
    try {
      const { secret, line } = newKey('ci', 'write');
      expect(line).toMatch(/^ci write sha256:[0-9a-f]{64}$/);
      expect(line).not.toContain(secret);
      const keys = new ApiKeys(parseKeyFile(`# keys\n${line}\n`, join(dir, 'keys')));
      expect(keys.identify(secret)).toEqual({ name: 'ci', role: 'write' });
      expect(keys.identify(`${secret}x`)).toBeNull();
      expect(() => parseKeyFile('ci write sha256:abc\n', 'f')).toThrow(/f:1: expected/);
      expect(() => parseKeyList('a:owner:0123456789abcdef')).toThrow(/role must be one of/);
      expect(() => parseKeyList('a:search:short')).toThrow(/16 characters/);
      expect(
        () => new ApiKeys(parseKeyList('a:search:0123456789abcdef,a:admin:0123456789abcdeg')),
      ).toThrow(/twice/);
    } finally {
      cleanup();
    }
  });

  it('the shipped nginx config replaces X-Real-IP with the address nginx saw', () => {
    const conf = readFileSync(join(import.meta.dirname, '../../deploy/nginx/nginx.conf'), 'utf8');
    expect(conf).toMatch(/proxy_set_header X-Real-IP \$remote_addr;/);
  });
});
