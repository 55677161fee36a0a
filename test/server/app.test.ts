import { beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedBackend } from '../../src/backends/embedded/embedded-backend.ts';
import { SyntheticVectors } from '../../src/data/synthetic-vectors.ts';
import { createApp } from '../../src/server/app.ts';
import { appOptions } from '../../src/server/compose.ts';
import { body, silentLogger, tempDir, testConfig } from '../helpers.ts';

const DIM = 8;
const gen = new SyntheticVectors({ dimension: DIM, seed: 3, clusters: 4 });
const vec = () => Array.from(gen.next());

describe('HTTP API through app.request()', () => {
  const { dir, cleanup } = tempDir();
  let backend: EmbeddedBackend;
  let app: ReturnType<typeof createApp>['app'];
  const config = testConfig({ maxTopK: 50, maxBatch: 4, maxWriteRows: 5, maxBodyBytes: 64 * 1024 });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const del = (path: string, body?: unknown) =>
    app.request(path, {
      method: 'DELETE',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  beforeAll(async () => {
    backend = new EmbeddedBackend({ dataDir: dir, mode: 'writable' });
    await backend.init();
    ({ app } = createApp({ backend, options: appOptions(config), logger: silentLogger }));
    const created = await post('/v1/collections', {
      name: 'items',
      dimension: DIM,
      metric: 'L2',
      fields: [
        { name: 'category', type: 'string' },
        { name: 'price', type: 'float' },
      ],
    });
    expect(created.status).toBe(201);
    const rows = Array.from({ length: 40 }, (_, i) => ({
      id: `i${i}`,
      vector: vec(),
      category: 'ABCD'[i % 4],
      price: i,
    }));
    for (let i = 0; i < rows.length; i += 5) {
      const res = await post('/v1/collections/items/vectors', {
        rows: rows.slice(i, i + 5),
        mode: 'insert',
      });
      expect(res.status).toBe(200);
    }
    return async () => {
      await backend.close();
      cleanup();
    };
  });

  describe('routes', () => {
    it('GET /healthz answers ok', async () => {
      const res = await app.request('/healthz');
      expect(res.status).toBe(200);
      expect(await body(res)).toEqual({ status: 'ok' });
    });

    it('GET /readyz answers ready while the backend answers', async () => {
      const res = await app.request('/readyz');
      expect(await body(res)).toEqual({ status: 'ready', backend: 'embedded' });
    });

    it('GET /v1/collections lists and GET /v1/collections/:name describes', async () => {
      expect(await body(app.request('/v1/collections'))).toEqual({ collections: ['items'] });
      const info = await body(app.request('/v1/collections/items'));
      expect(info).toMatchObject({
        name: 'items',
        dimension: DIM,
        metric: 'L2',
        count: 40,
        writable: true,
      });
      expect(info.fields.map((f: { name: string }) => f.name)).toEqual(['category', 'price']);
    });

    it('POST /search returns hits and tookMs, with fields on request', async () => {
      const started = performance.now();
      const res = await post('/v1/collections/items/search', {
        vector: vec(),
        topK: 3,
        outputFields: ['category'],
        params: { ef: 32 },
      });
      expect(res.status).toBe(200);
      const parsed = await body(res);
      expect(parsed.hits).toHaveLength(3);
      expect(parsed.hits[0]).toEqual({
        id: expect.any(String),
        distance: expect.any(Number),
        fields: { category: expect.any(String) },
      });
      // The server's own time: positive, and within what the caller waited.
      expect(parsed.tookMs).toBeGreaterThan(0);
      expect(parsed.tookMs).toBeLessThanOrEqual(performance.now() - started);
    });

    it('index types: the embedded backend builds HNSW and says so; search parameters follow the index', async () => {
      const ivf = await post('/v1/collections', {
        name: 'ivf',
        dimension: DIM,
        index: { type: 'IVF_SQ8', nlist: 64 },
      });
      expect(ivf.status).toBe(400);
      expect((await body(ivf)).detail).toMatch(
        /index\.type IVF_SQ8: the embedded backend builds HNSW only.*BACKEND=milvus/,
      );
      const mixed = await post('/v1/collections', {
        name: 'mixed',
        dimension: DIM,
        index: { M: 8, nprobe: 4 },
      });
      expect(mixed.status).toBe(400);
      expect((await body(mixed)).detail).toMatch(
        /index\.nprobe is a parameter of IVF_FLAT\/IVF_SQ8\/IVF_PQ, not of HNSW/,
      );
      const info = await body(app.request('/v1/collections/items'));
      expect(info.index.type).toBe('HNSW');
      for (const params of [{ nprobe: 8 }, { searchList: 20 }]) {
        const res = await post('/v1/collections/items/search', { vector: vec(), topK: 3, params });
        expect(res.status).toBe(400);
        expect((await body(res)).detail).toMatch(
          /does not apply: collection "items" has a HNSW index, which takes params\.ef/,
        );
      }
      expect(
        (await post('/v1/collections/items/search', { vector: vec(), params: { ef: 16 } })).status,
      ).toBe(200);
    });

    it('POST /search applies structured filters', async () => {
      const res = await post('/v1/collections/items/search', {
        vector: vec(),
        topK: 40,
        filter: { category: { in: ['A', 'B'] }, price: { gte: 10, lt: 30 } },
        outputFields: ['*'],
      });
      const { hits } = await body(res);
      expect(hits).toHaveLength(10);
      for (const h of hits) {
        expect(['A', 'B']).toContain(h.fields.category);
        expect(h.fields.price).toBeGreaterThanOrEqual(10);
        expect(h.fields.price).toBeLessThan(30);
      }
    });

    it('POST /search/batch returns one result list per query vector', async () => {
      const res = await post('/v1/collections/items/search/batch', {
        vectors: [vec(), vec(), vec()],
        topK: 2,
      });
      const parsed = await body(res);
      expect(parsed.results).toHaveLength(3);
      for (const r of parsed.results) expect(r).toHaveLength(2);
    });

    it('POST /vectors upserts and DELETE /vectors removes', async () => {
      const v = vec();
      const put = await post('/v1/collections/items/vectors', {
        rows: [{ id: 'new', vector: v, category: 'A', price: 1 }],
      });
      expect(await body(put)).toMatchObject({ ids: ['new'], count: 1, durability: 'fsynced' });
      const found = await body(post('/v1/collections/items/search', { vector: v, topK: 1 }));
      expect(found.hits[0].id).toBe('new');
      const gone = await del('/v1/collections/items/vectors', { ids: ['new', 'never-there'] });
      expect(await body(gone)).toMatchObject({ deleted: 1 });
      const again = await body(post('/v1/collections/items/search', { vector: v, topK: 1 }));
      expect(again.hits[0].id).not.toBe('new');
    });

    it('POST /vectors with mode insert refuses existing ids with 409', async () => {
      const res = await post('/v1/collections/items/vectors', {
        mode: 'insert',
        rows: [{ id: 'i1', vector: vec(), category: 'A', price: 1 }],
      });
      expect(res.status).toBe(409);
      expect((await body(res)).detail).toMatch(/ids already exist: "i1"/);
    });

    it('GET /v1/stats reports counts, success rate and latency percentiles', async () => {
      // Its own traffic, so the test means the same whatever ran before it.
      const before = await body(app.request('/v1/stats'));
      for (let i = 0; i < 6; i++)
        expect(
          (await post('/v1/collections/items/search', { vector: vec(), topK: 1 })).status,
        ).toBe(200);
      expect((await post('/v1/collections/items/search', { vector: [1] })).status).toBe(400);
      const stats = await body(app.request('/v1/stats'));
      expect(stats).toMatchObject({ backend: 'embedded', inFlight: 0 });
      // API requests only: the /v1/stats calls are operations routes, not counted.
      expect(stats.requests - before.requests).toBe(7);
      expect(stats.successes - before.successes).toBe(6);
      expect(stats.clientErrors - before.clientErrors).toBe(1);
      expect(stats.successRate).toBeCloseTo(stats.successes / stats.requests, 3);
      const l = stats.latencyMs;
      expect(l.window).toBe(Math.min(stats.requests, l.window));
      expect(l.p50).toBeLessThanOrEqual(l.p95);
      expect(l.p95).toBeLessThanOrEqual(l.p99);
      expect(l.p99).toBeLessThanOrEqual(l.max);
      expect(l.avg).toBeGreaterThan(0);
    });

    it('GET /metrics exposes the request histogram by route template and status, in-flight and process metrics', async () => {
      const res = await app.request('/metrics');
      expect(res.headers.get('content-type')).toMatch(/text\/plain/);
      const text = await res.text();
      expect(text).toMatch(
        /vecserve_http_request_duration_seconds_bucket\{le="0.005",method="POST",route="\/v1\/collections\/:name\/search",status="200"\}/,
      );
      expect(text).toMatch(/vecserve_http_requests_in_flight \d/);
      expect(text).toMatch(/vecserve_process_cpu_seconds_total/);
      expect(text).toMatch(/vecserve_search_vectors_total\{route="batch"\} 3/);
    });
  });

  describe('bad input gets a 4xx problem+json saying what was wrong', () => {
    const cases: [string, () => Response | Promise<Response>, number, RegExp][] = [
      [
        'malformed JSON',
        () => post('/v1/collections/items/search', '{"vector": [1,'),
        400,
        /not valid JSON/,
      ],
      ['an empty body', () => post('/v1/collections/items/search', ''), 400, /body is empty/],
      [
        'a non-JSON content type',
        () => post('/v1/collections/items/search', 'x', { 'content-type': 'text/plain' }),
        415,
        /Content-Type must be application\/json/,
      ],
      [
        'a body that is not an object',
        () => post('/v1/collections/items/search', [1, 2]),
        400,
        /must be a JSON object/,
      ],
      [
        'a missing vector',
        () => post('/v1/collections/items/search', { topK: 3 }),
        400,
        /vector \(or vectorBase64\) is required/,
      ],
      [
        'an empty vector',
        () => post('/v1/collections/items/search', { vector: [] }),
        400,
        /vector is empty/,
      ],
      [
        'the wrong dimension',
        () => post('/v1/collections/items/search', { vector: [1, 2, 3] }),
        400,
        /vector has 3 dimensions; the collection has 8/,
      ],
      [
        'a string in the vector',
        () => post('/v1/collections/items/search', { vector: [1, 2, 3, 4, 5, 6, 7, '8'] }),
        400,
        /vector\[7\] is "8", not a number/,
      ],
      [
        'a non-finite number (1e999 parses as Infinity)',
        () => post('/v1/collections/items/search', '{"vector":[1,2,3,4,5,6,7,1e999]}'),
        400,
        /vector\[7\] = Infinity is not a finite/,
      ],
      [
        'a float32 overflow',
        () => post('/v1/collections/items/search', { vector: [1, 2, 3, 4, 5, 6, 7, 1e39] }),
        400,
        /not a finite 32-bit float/,
      ],
      [
        'a vector so long its distances would overflow float32 (every value finite)',
        () => post('/v1/collections/items/search', { vector: [1e38, 0, 0, 0, 0, 0, 0, 0] }),
        400,
        /vector is too long: its squared length is 1\.00e\+76, over 1e\+37/,
      ],
      [
        'a compressed body (any Content-Encoding but identity)',
        () =>
          post('/v1/collections/items/search', { vector: vec() }, { 'content-encoding': 'gzip' }),
        415,
        /Content-Encoding "gzip" is not accepted/,
      ],
      [
        'topK of 0',
        () => post('/v1/collections/items/search', { vector: vec(), topK: 0 }),
        400,
        /topK must be an integer from 1 to 50, got 0/,
      ],
      [
        'topK above the limit',
        () => post('/v1/collections/items/search', { vector: vec(), topK: 51 }),
        400,
        /topK must be an integer from 1 to 50/,
      ],
      [
        'a fractional topK',
        () => post('/v1/collections/items/search', { vector: vec(), topK: 2.5 }),
        400,
        /topK must be an integer/,
      ],
      [
        'an unknown property',
        () => post('/v1/collections/items/search', { vector: vec(), top_k: 5 }),
        400,
        /unknown property "top_k"/,
      ],
      [
        'a bad ef',
        () => post('/v1/collections/items/search', { vector: vec(), params: { ef: -1 } }),
        400,
        /params.ef must be an integer/,
      ],
      [
        'an ef below topK (the search could not honour it)',
        () => post('/v1/collections/items/search', { vector: vec(), topK: 10, params: { ef: 5 } }),
        400,
        /params.ef \(5\) must be at least topK \(10\)/,
      ],
      [
        'an ef above the one limit of both backends (16,384)',
        () => post('/v1/collections/items/search', { vector: vec(), params: { ef: 16_385 } }),
        400,
        /params.ef must be an integer from 1 to 16384/,
      ],
      [
        'a field named __proto__ at create',
        () =>
          post('/v1/collections', {
            name: 'proto',
            dimension: 4,
            fields: [{ name: '__proto__', type: 'string' }],
          }),
        400,
        /field name "__proto__" is reserved/,
      ],
      [
        'a field named constructor at create',
        () =>
          post('/v1/collections', {
            name: 'ctor',
            dimension: 4,
            fields: [{ name: 'constructor', type: 'int' }],
          }),
        400,
        /field name "constructor" is reserved/,
      ],
      [
        'an unknown quantization',
        () => post('/v1/collections', { name: 'q', dimension: 4, index: { quantization: 'pq' } }),
        400,
        /index.quantization must be one of f32, f16, i8/,
      ],
      [
        'an unknown key inside index',
        () => post('/v1/collections', { name: 'k', dimension: 4, index: { M: 16, foo: 1 } }),
        400,
        /index: unknown property "foo"/,
      ],
      [
        'an unknown output field',
        () => post('/v1/collections/items/search', { vector: vec(), outputFields: ['colour'] }),
        400,
        /outputFields: unknown field "colour"/,
      ],
      [
        'an unknown filter field',
        () => post('/v1/collections/items/search', { vector: vec(), filter: { colour: 'red' } }),
        400,
        /filter: unknown field "colour"/,
      ],
      [
        'an unknown filter operator',
        () =>
          post('/v1/collections/items/search', {
            vector: vec(),
            filter: { price: { between: [1, 2] } },
          }),
        400,
        /unknown operator "between"/,
      ],
      [
        'a raw expression string as filter',
        () => post('/v1/collections/items/search', { vector: vec(), filter: "category == 'A'" }),
        400,
        /filter must be an object/,
      ],
      [
        'an unknown collection',
        () => post('/v1/collections/nope/search', { vector: vec() }),
        404,
        /collection "nope" does not exist/,
      ],
      [
        'an unknown route',
        () => app.request('/v2/anything'),
        404,
        /no route for GET \/v2\/anything/,
      ],
      [
        'an empty batch',
        () => post('/v1/collections/items/search/batch', { vectors: [] }),
        400,
        /vectors is empty/,
      ],
      [
        'a batch over its limit',
        () =>
          post('/v1/collections/items/search/batch', {
            vectors: [vec(), vec(), vec(), vec(), vec()],
          }),
        400,
        /vectors holds 5 queries; the limit is 4/,
      ],
      [
        'a bad vector inside a batch',
        () => post('/v1/collections/items/search/batch', { vectors: [vec(), [1]] }),
        400,
        /vectors\[1\] has 1 dimensions/,
      ],
      [
        'too many rows to write',
        () =>
          post('/v1/collections/items/vectors', {
            rows: Array.from({ length: 6 }, () => ({ vector: vec(), category: 'A', price: 1 })),
          }),
        400,
        /rows holds 6 rows; the limit is 5/,
      ],
      [
        'a row with an unknown field',
        () =>
          post('/v1/collections/items/vectors', {
            rows: [{ vector: vec(), category: 'A', price: 1, colour: 'red' }],
          }),
        400,
        /rows\[0\]: unknown field "colour"/,
      ],
      [
        'a row whose fields are nested in an object (a field value of no accepted type)',
        () =>
          post('/v1/collections/items/vectors', {
            rows: [{ vector: vec(), fields: { category: 'A', price: 1 } }],
          }),
        400,
        /rows\[0\]\.fields must be a string, a number, a boolean or an array, got \{"category":"A","price":1\}/,
      ],
      [
        'a row missing a field',
        () => post('/v1/collections/items/vectors', { rows: [{ vector: vec(), category: 'A' }] }),
        400,
        /rows\[0\]: field "price" is required/,
      ],
      [
        'a row field of the wrong type',
        () =>
          post('/v1/collections/items/vectors', {
            rows: [{ vector: vec(), category: 'A', price: 'free' }],
          }),
        400,
        /rows\[0\].price must be float/,
      ],
      [
        'a duplicated id in one write',
        () =>
          post('/v1/collections/items/vectors', {
            rows: [
              { id: 'x', vector: vec(), category: 'A', price: 1 },
              { id: 'x', vector: vec(), category: 'A', price: 1 },
            ],
          }),
        400,
        /appears twice/,
      ],
      [
        'a bad write mode',
        () =>
          post('/v1/collections/items/vectors', {
            mode: 'merge',
            rows: [{ vector: vec(), category: 'A', price: 1 }],
          }),
        400,
        /mode must be one of insert, upsert/,
      ],
      [
        'a delete without ids',
        () => del('/v1/collections/items/vectors', { ids: [] }),
        400,
        /ids is empty/,
      ],
      [
        'a delete with a non-string id',
        () => del('/v1/collections/items/vectors', { ids: [5] }),
        400,
        /ids\[0\] must be a string/,
      ],
      [
        'a bad collection definition',
        () => post('/v1/collections', { name: '../etc', dimension: 4 }),
        400,
        /collection name "..\/etc" is invalid/,
      ],
      [
        'a zero dimension',
        () => post('/v1/collections', { name: 'ok', dimension: 0 }),
        400,
        /dimension must be an integer from 1/,
      ],
      [
        'an existing collection',
        () => post('/v1/collections', { name: 'items', dimension: DIM }),
        409,
        /already exists/,
      ],
    ];

    it.each(cases)('%s', async (_name, send, status, detail) => {
      const res = await send();
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      const parsed = await body(res);
      expect(parsed).toMatchObject({
        status,
        code: expect.any(String),
        title: expect.any(String),
        type: expect.stringMatching(/^urn:vecserve:problem:/),
      });
      expect(parsed.detail).toMatch(detail);
    });

    it('a body that starts with a UTF-8 byte order mark (Windows PowerShell 5 sends one) is read as the JSON after it', async () => {
      const res = await post(
        '/v1/collections/items/search',
        `\uFEFF${JSON.stringify({ vector: vec(), topK: 2 })}`,
      );
      expect(res.status).toBe(200);
      expect((await body(res)).hits).toHaveLength(2);
      const broken = await post('/v1/collections/items/search', '\uFEFF{"vector": [1,');
      expect(broken.status).toBe(400);
      expect((await body(broken)).detail).toMatch(/not valid JSON/);
    });

    it('a body over the size limit gets 413', async () => {
      const res = await post('/v1/collections/items/search', {
        vector: vec(),
        pad: 'x'.repeat(70 * 1024),
      });
      expect(res.status).toBe(413);
      expect(await body(res)).toMatchObject({ code: 'payload_too_large', limitBytes: 64 * 1024 });
    });

    it('no bad input changed the collection or broke the server', async () => {
      const info = await body(app.request('/v1/collections/items'));
      expect(info.count).toBe(40);
      expect((await app.request('/healthz')).status).toBe(200);
    });
  });
});
