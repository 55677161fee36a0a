import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VecserveClient, VecserveError } from '../../src/client/vecserve-client.ts';
import type { RunningServer } from '../../src/server/http-server.ts';
import { OPERATIONS } from '../../src/server/openapi.ts';
import { allowedMethods } from '../../src/server/routes/route-table.ts';
import { launchChromium } from '../chromium.ts';
import { startEmbeddedServer } from '../embedded-server.ts';
import { body } from '../helpers.ts';

// biome-ignore lint/suspicious/noExplicitAny: the test walks an arbitrary JSON document
type Json = any;

describe('the API described: /openapi.json, /docs and the typed client, over a real socket', () => {
  let running: RunningServer;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    // 8-d, not the 4 the /docs examples start from: the page must write them for the collection.
    ({ running, stop } = await startEmbeddedServer({ size: 300, dimension: 8, config: {} }));
  });
  afterAll(() => stop());

  it('describes every route the app answers, with its body schema and every error status it can give', async () => {
    const doc = await body(fetch(`${running.url}/openapi.json`));
    expect(doc.openapi).toBe('3.1.0');
    const described = new Set<string>();
    for (const [path, methods] of Object.entries(
      doc.paths as Record<string, Record<string, Json>>,
    )) {
      for (const [method, op] of Object.entries(methods)) {
        described.add(`${method.toUpperCase()} ${path}`);
        const concrete = path.replace('{name}', 'products');
        // The route table the app uses for 405s agrees with the document.
        expect(allowedMethods(concrete), concrete).toContain(method.toUpperCase());
        expect(op.responses['405']).toBeDefined();
        if (op.requestBody) {
          const schema = op.requestBody.content['application/json'].schema;
          expect(schema.additionalProperties, `${method} ${path} refuses unknown keys`).toBe(false);
          for (const status of ['400', '413', '415'])
            expect(op.responses[status], `${path} ${status}`).toBeDefined();
        }
        if (op['x-required-role'] !== 'open')
          for (const status of ['401', '403'])
            expect(op.responses[status], `${path} ${status}`).toBeDefined();
        for (const [status, r] of Object.entries(op.responses as Record<string, Json>))
          if (Number(status) >= 400) expect(r.content['application/problem+json']).toBeDefined();
      }
    }
    // Every method the app answers on each path is in the document, and nothing else.
    for (const path of [
      '/healthz',
      '/readyz',
      '/v1/stats',
      '/metrics',
      '/v1/collections',
      '/v1/collections/{name}',
      '/v1/collections/{name}/search',
      '/v1/collections/{name}/search/batch',
      '/v1/collections/{name}/vectors',
    ]) {
      const methods = allowedMethods(path.replace('{name}', 'products'))!.filter(
        (m) => m !== 'HEAD',
      );
      for (const m of methods) expect(described.has(`${m} ${path}`), `${m} ${path}`).toBe(true);
    }
    expect(described.size).toBe(OPERATIONS.length);
    // What the document says about a body is what the server enforces.
    const res = await fetch(`${running.url}/v1/collections/products/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ vector: new Array(8).fill(0), params: { ef: 64, foo: 1 } }),
    });
    expect(res.status).toBe(400);
    expect((await body(res)).detail).toMatch(/params: unknown property "foo"/);
  });

  it('the typed client does every operation and turns problems into VecserveError', async () => {
    const vs = new VecserveClient(running.url);
    expect((await vs.listCollections()).collections).toContain('products');
    const info = await vs.createCollection({
      name: 'client_test',
      dimension: 3,
      fields: [{ name: 'tag', type: 'string' }],
    });
    expect(info).toMatchObject({ name: 'client_test', dimension: 3, count: 0 });
    const written = await vs.write('client_test', {
      rows: [
        { id: 'a', vector: [1, 0, 0], tag: 'x' },
        { id: 'b', vector: [0, 1, 0], tag: 'y' },
      ],
    });
    expect(written.count).toBe(2);
    const { hits } = await vs.search('client_test', {
      vector: [1, 0, 0],
      topK: 1,
      outputFields: ['tag'],
    });
    expect(hits[0]).toMatchObject({ id: 'a', fields: { tag: 'x' } });
    const batch = await vs.searchBatch('client_test', {
      vectors: [[0, 1, 0]],
      topK: 1,
      filter: { tag: 'y' },
    });
    expect(batch.results[0]![0]!.id).toBe('b');
    expect((await vs.deleteRows('client_test', { ids: ['a'] })).deleted).toBe(1);
    expect((await vs.describe('client_test')).count).toBe(1);
    const err = await vs.search('client_test', { vector: [1, 0] }).catch((e) => e);
    expect(err).toBeInstanceOf(VecserveError);
    expect(err).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(err.requestId).toMatch(/^[0-9a-f-]{36}$/);
    await vs.dropCollection('client_test');
    expect(await vs.describe('client_test').catch((e: VecserveError) => e.status)).toBe(404);
  });

  it('/docs renders every operation in headless Chromium and sends a search sized for the collection', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`${running.url}/docs`);
      await page
        .locator('.op')
        .nth(OPERATIONS.length - 1)
        .waitFor();
      expect(await page.locator('.op').count()).toBe(OPERATIONS.length);
      const search = page.locator('.op', { hasText: '/v1/collections/{name}/search' }).first();
      await search.locator('button').click();
      await search.locator('.status').filter({ hasText: '200' }).waitFor();
      expect(await search.locator('.out').textContent()).toMatch(/"hits"/);
      const sent = JSON.parse(await search.locator('.body').inputValue());
      expect(sent.vector).toHaveLength(8);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 30_000);
});
