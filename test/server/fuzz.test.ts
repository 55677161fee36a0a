/**
 * A seeded, bounded fuzz over every route of a real server (embedded backend,
 * real socket): methods, paths and bodies mutated from valid ones. Every
 * answer must be below 500, and every error problem+json; the server must
 * still search afterwards. Includes the hostile inputs found by hand (deep
 * nesting, huge dimensions and index parameters, nulls, prototype keys).
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server/http-server.ts';
import { startEmbeddedServer } from '../embedded-server.ts';

function mulberry32(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DIM = 8;
const rand = mulberry32(20261127);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const vec = (n = DIM) => Array.from({ length: n }, () => rand() * 2 - 1);

const NAMES = [
  'products',
  'fuzz_a',
  'nope',
  '__proto__',
  'constructor',
  'a'.repeat(300),
  'é',
  '%2e%2e',
  '..',
  'x y',
  '',
];
const valid = (): [string, string, unknown][] => [
  [
    'POST',
    '/v1/collections',
    {
      name: `fz_${Math.floor(rand() * 1e6)}`,
      dimension: DIM,
      fields: [{ name: 'category', type: 'string' }],
    },
  ],
  [
    'POST',
    '/v1/collections/products/search',
    { vector: vec(), topK: 5, filter: { category: 'A' }, outputFields: ['category'] },
  ],
  [
    'POST',
    '/v1/collections/products/search/batch',
    { vectors: [vec(), vec()], topK: 3, params: { ef: 16 } },
  ],
  [
    'POST',
    '/v1/collections/products/vectors',
    { rows: [{ id: `r${Math.floor(rand() * 1e6)}`, vector: vec(), category: 'A', price: 3 }] },
  ],
  ['DELETE', '/v1/collections/products/vectors', { ids: ['item-1'] }],
];
const HOSTILE_VALUES: (() => unknown)[] = [
  () => null,
  () => -1,
  () => 0,
  () => 2 ** 53 + 1,
  () => 1e308,
  () => '',
  () => 'x'.repeat(10_000),
  () => ({}),
  () => [],
  () => [null],
  () => ({ __proto__: { polluted: true } }),
  () => JSON.parse('{"__proto__": {"polluted": true}}'),
  () => vec(32_768),
  () => true,
  () => '1e999',
];

function mutate(value: unknown, depth = 0): unknown {
  if (depth > 4 || rand() < 0.25) return pick(HOSTILE_VALUES)();
  if (Array.isArray(value)) {
    const copy = [...value];
    if (copy.length > 0)
      copy[Math.floor(rand() * copy.length)] = mutate(
        copy[Math.floor(rand() * copy.length)],
        depth + 1,
      );
    return copy;
  }
  if (typeof value === 'object' && value !== null) {
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    const keys = Object.keys(copy);
    const r = rand();
    if (r < 0.15)
      copy[pick(['foo', '__proto__', 'constructor', 'toString', 'M'])] = pick(HOSTILE_VALUES)();
    else if (r < 0.3 && keys.length > 0) delete copy[pick(keys)];
    else if (keys.length > 0) {
      const k = pick(keys);
      copy[k] = mutate(copy[k], depth + 1);
    }
    return copy;
  }
  return pick(HOSTILE_VALUES)();
}

function bodyText(value: unknown): string {
  const r = rand();
  if (r < 0.04) return `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
  if (r < 0.07) return '{"vector": [1, 2,';
  if (r < 0.09) return '{"topK": 1e999, "vector": [1e999]}';
  if (r < 0.1) return '';
  return JSON.stringify(value) ?? 'null';
}

const collections = async (url: string): Promise<string[]> =>
  ((await (await fetch(`${url}/v1/collections`)).json()) as { collections: string[] }).collections;

/** Raw bytes to the server; the status line and headers back. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let out = '';
    socket.setEncoding('latin1');
    socket.on('data', (d) => {
      out += d;
    });
    socket.on('error', () => resolve(out));
    socket.on('close', () => resolve(out));
    setTimeout(() => socket.destroy(), 2000);
    socket.write(text);
  });
}

describe('fuzz over every route (seeded, bounded)', () => {
  let running: RunningServer;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    ({ running, stop } = await startEmbeddedServer({
      size: 200,
      dimension: DIM,
      config: { maxCollections: 20, timeoutSeconds: 10 },
    }));
  });
  afterAll(() => stop());

  it('1,200 mutated requests: no 5xx, every error problem+json, and the server still searches', async () => {
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    for (let i = 0; i < 1200; i++) {
      let [method, path, payload] = pick(valid());
      const r = rand();
      if (r < 0.1) method = pick(['GET', 'PUT', 'PATCH', 'HEAD', 'OPTIONS', 'DELETE', 'POST']);
      if (r > 0.85) path = path.replace('products', encodeURIComponent(pick(NAMES)));
      const text = bodyText(rand() < 0.8 ? mutate(payload) : payload);
      const withBody = method !== 'GET' && method !== 'HEAD';
      const res = await fetch(`${running.url}${path}`, {
        method,
        headers: { 'content-type': rand() < 0.97 ? 'application/json' : 'text/plain' },
        body: withBody ? text : undefined,
      });
      const got = await res.text();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const what = `${method} ${path} ${text.slice(0, 120)} -> ${res.status} ${got.slice(0, 200)}`;
      if (res.status >= 500) failures.push(what);
      else if (
        res.status >= 400 &&
        method !== 'HEAD' &&
        res.headers.get('content-type') !== 'application/problem+json'
      )
        failures.push(`not problem+json: ${what}`);
    }
    expect(failures).toEqual([]);
    // The fuzz reached past validation too, not only 400s.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(50);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(100);
    const after = await fetch(`${running.url}/v1/collections/products/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ vector: vec() }),
    });
    expect(after.status).toBe(200);
    // No collection can be created past the quota, and none is left half-made.
    const listed = await collections(running.url);
    expect(listed.length).toBeLessThanOrEqual(20);
  }, 120_000);

  it('the hostile inputs found by hand are 4xx problem+json', async () => {
    const cases: [string, string, string, number][] = [
      ['POST', '/v1/collections', JSON.stringify({ name: 'huge', dimension: 32_768 }), 409],
      [
        'POST',
        '/v1/collections',
        JSON.stringify({ name: 'graph', dimension: 8, index: { M: 2048, efConstruction: 65_536 } }),
        409,
      ],
      ['POST', '/v1/collections', JSON.stringify({ name: 'n', dimension: 8, metric: null }), 400],
      [
        'POST',
        '/v1/collections',
        JSON.stringify({ name: 'n', dimension: 8, index: { M: 16, foo: 1 } }),
        400,
      ],
      [
        'POST',
        '/v1/collections/products/vectors',
        JSON.stringify({ rows: [{ vector: vec(), category: 'A', price: 1 }], mode: null }),
        400,
      ],
      [
        'POST',
        '/v1/collections',
        `{"name":"deep","dimension":8,"fields":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
        400,
      ],
    ];
    for (const [method, path, payload, status] of cases) {
      const res = await fetch(`${running.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: payload,
      });
      expect(res.status, `${path} ${payload.slice(0, 80)}`).toBe(status);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    }
    // A failed create left no collection behind.
    const listed = await collections(running.url);
    for (const name of ['huge', 'graph', 'n', 'deep']) expect(listed).not.toContain(name);
  });

  it('dot segments never reach another collection: DELETE /v1/collections/zzz/../products is not a drop', async () => {
    const out = await rawRequest(
      running.port,
      'DELETE /v1/collections/zzz/../products HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    expect(out).toMatch(/^HTTP\/1\.1 400/);
    expect(out).toMatch(/segments; send it resolved/);
    const encoded = await rawRequest(
      running.port,
      'DELETE /v1/collections/zzz/%2E%2E/products HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    expect(encoded).toMatch(/^HTTP\/1\.1 400/);
    expect((await fetch(`${running.url}/v1/collections/products`)).status).toBe(200);
  });
});
