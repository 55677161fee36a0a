import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyntheticVectors } from '../../src/data/synthetic-vectors.ts';
import type { RunningServer } from '../../src/server/http-server.ts';
import { startEmbeddedServer } from '../embedded-server.ts';
import { body } from '../helpers.ts';

const DIM = 16;
const b64 = (v: ArrayLike<number>) =>
  Buffer.from(new Float32Array(Array.from(v)).buffer).toString('base64');

describe('the compact vector encoding (base64 of little-endian float32), over a real socket', () => {
  let running: RunningServer;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    ({ running, stop } = await startEmbeddedServer({ size: 300, dimension: 16, config: {} }));
  });
  afterAll(() => stop());
  const post = (path: string, payload: unknown) =>
    fetch(`${running.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });

  it('answers a search, a batch and a write alike in both encodings', async () => {
    const gen = new SyntheticVectors({ dimension: DIM, seed: 31 });
    const q = Array.from(gen.next());
    const asJson = await body(post('/v1/collections/products/search', { vector: q, topK: 5 }));
    const asB64 = await body(
      post('/v1/collections/products/search', { vectorBase64: b64(q), topK: 5 }),
    );
    expect(asB64.hits).toEqual(asJson.hits);
    const batch = await body(
      post('/v1/collections/products/search/batch', { vectorsBase64: [b64(q), b64(q)], topK: 5 }),
    );
    expect(batch.results[1]).toEqual(asJson.hits);
    const v = Array.from(gen.next());
    const w = await post('/v1/collections/products/vectors', {
      rows: [{ id: 'b64', vectorBase64: b64(v), category: 'A', price: 1 }],
    });
    expect(w.status, JSON.stringify(await w.clone().json())).toBe(200);
    const found = await body(post('/v1/collections/products/search', { vector: v, topK: 1 }));
    expect(found.hits[0].id).toBe('b64');
  });

  it('refuses bad encodings with a 400 that says what was wrong', async () => {
    const cases: [unknown, RegExp][] = [
      [
        { vectorBase64: b64([1, 2, 3]) },
        /holds 12 bytes \(3 float32 values\); the collection has 16 dimensions/,
      ],
      [{ vectorBase64: 'not base64!' }, /is not base64/],
      [
        { vectorBase64: b64([...Array(15).fill(0), Number.NaN]) },
        /value 15 is NaN, not a finite float32/,
      ],
      [{ vectorBase64: b64(Array(16).fill(0)), vector: Array(16).fill(0) }, /both set; send one/],
      [{ vectorBase64: 42 }, /vectorBase64 must be a string/],
      [
        { vectorBase64: b64([3e38, ...Array(15).fill(0)]) },
        /vectorBase64 is too long: its squared length is 9\.00e\+76/,
      ],
      [{ topK: 3 }, /vector \(or vectorBase64\) is required/],
    ];
    for (const [payload, detail] of cases) {
      const res = await post('/v1/collections/products/search', payload);
      expect(res.status, JSON.stringify(payload).slice(0, 80)).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect((await body(res)).detail).toMatch(detail);
    }
  });
});
