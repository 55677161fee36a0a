import { describe, expect, it } from 'vitest';
import { body } from '../helpers.ts';
import { serversOnSockets } from '../servers-on-sockets.ts';

const start = serversOnSockets();
const post = (url: string, path: string, payload: unknown) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(payload),
  });

describe('quotas and the cost bound, over a real socket', () => {
  it('refuses a collection past MAX_COLLECTIONS, MAX_DIMENSION, MAX_INDEX_M or MAX_EF_CONSTRUCTION with 409 quota_exceeded', async () => {
    const s = await start({
      maxCollections: 1,
      maxDimension: 1024,
      maxIndexM: 32,
      maxEfConstruction: 400,
    });
    // The fake backend holds one collection already: MAX_COLLECTIONS 1 is reached.
    const full = await post(s.url, '/v1/collections', { name: 'b', dimension: 8 });
    expect(full.status).toBe(409);
    expect(await body(full)).toMatchObject({ code: 'quota_exceeded', limit: 1 });

    const roomy = await start({
      maxCollections: 10,
      maxDimension: 1024,
      maxIndexM: 32,
      maxEfConstruction: 400,
    });
    const cases: [unknown, RegExp][] = [
      [{ name: 'b', dimension: 32_768 }, /MAX_DIMENSION 1024/],
      [{ name: 'b', dimension: 8, index: { M: 2048 } }, /MAX_INDEX_M 32/],
      [{ name: 'b', dimension: 8, index: { efConstruction: 65_536 } }, /MAX_EF_CONSTRUCTION 400/],
    ];
    for (const [spec, detail] of cases) {
      const res = await post(roomy.url, '/v1/collections', spec);
      expect(res.status).toBe(409);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect((await body(res)).detail).toMatch(detail);
    }
    expect(
      (await post(roomy.url, '/v1/collections', { name: 'b', dimension: 8, index: { M: 32 } }))
        .status,
    ).toBe(201);
  });

  it('refuses a search whose work (queries x dimension x candidates) passes MAX_SEARCH_WORK with 400', async () => {
    const s = await start({ maxSearchWork: 1000, maxBatch: 100 });
    // dimension 2 (the fake collection): 1 x 2 x 10 = 20 passes; 100 x 2 x 10 = 2,000 does not.
    expect((await post(s.url, '/v1/collections/items/search', { vector: [0, 0] })).status).toBe(
      200,
    );
    const batch = await post(s.url, '/v1/collections/items/search/batch', {
      vectors: Array.from({ length: 100 }, () => [0, 0]),
    });
    expect(batch.status).toBe(400);
    expect(await body(batch)).toMatchObject({ code: 'invalid_request', work: 2000, limit: 1000 });
    const wide = await post(s.url, '/v1/collections/items/search', {
      vector: [0, 0],
      params: { ef: 1000 },
    });
    expect(wide.status).toBe(400);
    expect((await body(wide)).detail).toMatch(/MAX_SEARCH_WORK is 1000/);
  });
});
