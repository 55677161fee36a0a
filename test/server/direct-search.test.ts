import { createServer, request, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createAdmission } from '../../src/server/admission/build-admission.ts';
import { createApp } from '../../src/server/app.ts';
import { ApiKeys } from '../../src/server/auth/api-keys.ts';
import { admissionOptions, appOptions, startServer } from '../../src/server/compose.ts';
import { FakeBackend } from '../fakes/fake-backend.ts';
import { silentLogger, testConfig } from '../helpers.ts';
import { serversOnSockets } from '../servers-on-sockets.ts';

const start = serversOnSockets({ maxBodyBytes: 4096 });
const SEARCH = '/v1/collections/items/search';

/** Status, media type and body of an answer, without what differs per request (id, time). */
async function comparable(res: Response) {
  const text = await res.text();
  let parsed: Record<string, unknown> | string = text;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
    delete parsed.requestId;
    delete parsed.tookMs;
  } catch {
    // not JSON: compared as text
  }
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    retryAfter: res.headers.get('retry-after'),
    body: parsed,
  };
}

const requests: [string, RequestInit & { path?: string }][] = [
  ['a search', { body: '{"vector":[0,0],"topK":1}' }],
  ['a search with a BOM', { body: '\ufeff{"vector":[0,0]}' }],
  ['the wrong dimension', { body: '{"vector":[0,0,0]}' }],
  ['a vector with a string in it', { body: '{"vector":[0,"x"]}' }],
  ['topK past the quota', { body: '{"vector":[0,0],"topK":100000}' }],
  ['an unknown field', { body: '{"vector":[0,0],"nope":1}' }],
  ['malformed JSON', { body: '{"vector":[0,' }],
  ['an empty body', { body: '' }],
  ['JSON nested 40 deep', { body: `{"vector":${'['.repeat(40)}${']'.repeat(40)}}` }],
  ['a body past MAX_BODY_BYTES', { body: `{"vector":[${'0,'.repeat(3000)}0]}` }],
  [
    'a form body',
    { body: 'vector=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
  ],
  [
    'a gzip-coded body',
    {
      body: '{"vector":[0,0]}',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    },
  ],
  ['an unknown collection', { body: '{"vector":[0,0]}', path: '/v1/collections/nope/search' }],
];

describe('single searches served off the framework (direct-search.ts)', () => {
  it.each(requests)('answers %s as the framework does', async (_what, init) => {
    const s = await start();
    const path = init.path ?? SEARCH;
    const headers = { 'content-type': 'application/json', ...(init.headers as object) };
    const overSocket = await fetch(`${s.url}${path}`, { method: 'POST', body: init.body, headers });
    const throughHono = await s.app.app.request(path, { method: 'POST', body: init.body, headers });
    expect(overSocket.headers.get('x-request-id')).toMatch(/^[\w-]{36}$/);
    expect(await comparable(overSocket)).toEqual(await comparable(throughHono));
  });

  it('refuses past its concurrency slot and deadline as the framework does: 503 with Retry-After, 504', async () => {
    const backend = new FakeBackend();
    backend.searchDelayMs = 400;
    const s = await start(
      { concurrencyLimit: 1, queueLimit: 0, timeoutSeconds: 0.2, maxEventLoopLagSeconds: 0 },
      backend,
    );
    const send = () =>
      fetch(`${s.url}${SEARCH}`, {
        method: 'POST',
        body: '{"vector":[0,0]}',
        headers: { 'content-type': 'application/json' },
      });
    const [first, second] = await Promise.all([send(), send()]);
    const answers = [await comparable(first), await comparable(second)].sort(
      (a, b) => a.status - b.status,
    );
    expect(answers.map((a) => a.status)).toEqual([503, 504]);
    expect(answers[0]!.retryAfter).toBe('1');
    expect((answers[0]!.body as { code: string }).code).toBe('overloaded');
    expect((answers[1]!.body as { code: string }).code).toBe('deadline_exceeded');
    const metrics = await (await s.app.metrics.registry.metrics()).toString();
    expect(metrics).toMatch(
      /vecserve_http_request_duration_seconds_count\{method="POST",route="\/v1\/collections\/:name\/search",status="504"\} 1/,
    );
  });
});

describe('a client that leaves', () => {
  it('mid-body is logged once, as a client that closed, never as an unhandled error', async () => {
    const lines: { msg: string; level: string }[] = [];
    const logger = pino(
      { level: 'info', formatters: { level: (label) => ({ level: label }) } },
      new Writable({
        write(chunk, _enc, done) {
          lines.push(JSON.parse(String(chunk)));
          done();
        },
      }),
    );
    const running = await startServer(
      testConfig({ breaker: 'off', accessLog: false }),
      logger,
      new FakeBackend(),
    );
    try {
      const socket = connect(running.port, '127.0.0.1');
      await new Promise((r) => socket.once('connect', r));
      socket.write(
        `POST ${SEARCH} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"vector":[0,`,
      );
      await new Promise((r) => setTimeout(r, 100));
      socket.destroy();
      await new Promise((r) => setTimeout(r, 300));
      const about = lines.filter((l) => /client closed|unhandled/.test(l.msg));
      expect(about.map((l) => `${l.level} ${l.msg}`)).toEqual([
        'info client closed the request before its answer',
      ]);
    } finally {
      await running.close();
    }
  });
});

describe('what the direct path takes', () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });

  /** A socket whose requests the direct path either answers, or declines (then 599 here). */
  async function directOnly(overrides: Parameters<typeof testConfig>[0] = {}, keys?: ApiKeys) {
    const config = testConfig({ breaker: 'off', ...overrides });
    const built = createApp({
      backend: new FakeBackend(),
      options: appOptions(config),
      logger: silentLogger,
      admission: createAdmission(admissionOptions(config)),
      keys,
    });
    const direct = built.direct;
    const server = createServer((req, res) => {
      if (direct?.(req, res)) return;
      req.resume();
      res.writeHead(599).end();
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    return {
      direct,
      // node:http sends the path as written (fetch would resolve its dot segments).
      status: (path: string, opts: { method?: string; headers?: Record<string, string> } = {}) =>
        new Promise<number>((resolve, reject) => {
          const req = request(
            {
              port,
              host: '127.0.0.1',
              path,
              method: opts.method ?? 'POST',
              headers: { 'content-type': 'application/json', ...opts.headers },
            },
            (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            },
          );
          req.on('error', reject);
          req.end('{"vector":[0,0]}');
        }),
    };
  }

  it('takes a POST to a plain collection name, and leaves the rest to the framework', async () => {
    const d = await directOnly();
    expect(await d.status(SEARCH)).toBe(200);
    expect(await d.status('/v1/collections/nope/search')).toBe(404);
    expect(await d.status(`${SEARCH}?x=1`)).toBe(599);
    expect(await d.status('/v1/collections/it%65ms/search')).toBe(599);
    expect(await d.status('/v1/collections/items/../items/search')).toBe(599);
    expect(await d.status(`${SEARCH}/`)).toBe(599);
    expect(await d.status(`${SEARCH}/batch`)).toBe(599);
    expect(await d.status(SEARCH, { method: 'PUT' })).toBe(599);
  });

  it('serves a known key and leaves a missing or unknown one to the framework (which answers 401)', async () => {
    const d = await directOnly(
      {},
      ApiKeys.load({ list: 'r:search:reader-0123456789abcdef', file: '' }),
    );
    expect(await d.status(SEARCH, { headers: { 'x-api-key': 'reader-0123456789abcdef' } })).toBe(
      200,
    );
    expect(await d.status(SEARCH)).toBe(599);
    expect(await d.status(SEARCH, { headers: { 'x-api-key': 'not-a-key-0123456789' } })).toBe(599);
  });

  it('is off while a rate limit or the result cache is configured (their parts are on the framework path)', async () => {
    expect((await directOnly({ rateLimit: 10 })).direct).toBeNull();
    const config = testConfig({ breaker: 'off' });
    const cached = createApp({
      backend: new FakeBackend(),
      options: appOptions(config),
      logger: silentLogger,
      resultCache: {} as never,
    });
    expect(cached.direct).toBeNull();
  });
});
