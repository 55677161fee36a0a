/**
 * The typed client's opt-in retries, against a plain node:http server on a
 * real socket that refuses the first requests as an overloaded vecserve does
 * (503 problem+json with Retry-After): reads wait and try again, writes never.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { VecserveClient, VecserveError } from '../../src/client/vecserve-client.ts';

let server: Server | null = null;

/** A server refusing its first `refusals` requests; returns its URL and the arrival times. */
async function refusingServer(refusals: number, status = 503) {
  const arrivals: { method: string; url: string; at: number }[] = [];
  server = createServer((req, res) => {
    arrivals.push({ method: req.method ?? '', url: req.url ?? '', at: performance.now() });
    req.resume();
    req.on('end', () => {
      if (arrivals.length <= refusals) {
        res.writeHead(status, { 'content-type': 'application/problem+json', 'retry-after': '1' });
        res.end(JSON.stringify({ code: 'overloaded', status, detail: 'server busy', title: 'x' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ hits: [{ id: 'a', distance: 0 }], tookMs: 0.1 }));
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, arrivals };
}

afterEach(async () => {
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = null;
});

describe('client retries', () => {
  it('tries a refused search again after the wait the server asked for (capped, jittered)', async () => {
    const { url, arrivals } = await refusingServer(2);
    const vs = new VecserveClient(url, { retries: 3, maxRetryWaitMs: 100 });
    const answer = await vs.search('p', { vector: [1, 2] });
    expect(answer.hits[0]?.id).toBe('a');
    expect(arrivals).toHaveLength(3);
    // Each retry waited 50-100% of the 100 ms cap (Retry-After: 1 s is longer): never at once.
    for (let i = 1; i < arrivals.length; i++)
      expect(arrivals[i]!.at - arrivals[i - 1]!.at).toBeGreaterThanOrEqual(45);
  });

  it('gives up after its retries with the server refusal, Retry-After included', async () => {
    const { url, arrivals } = await refusingServer(5, 429);
    const vs = new VecserveClient(url, { retries: 1, maxRetryWaitMs: 20 });
    const err = await vs.search('p', { vector: [1, 2] }).catch((e) => e);
    expect(err).toBeInstanceOf(VecserveError);
    expect(err).toMatchObject({ status: 429, code: 'overloaded', retryAfter: 1 });
    expect(arrivals).toHaveLength(2);
  });

  it('does not retry by default, nor ever a write', async () => {
    const { url, arrivals } = await refusingServer(5);
    const plain = new VecserveClient(url);
    await expect(plain.search('p', { vector: [1, 2] })).rejects.toMatchObject({ status: 503 });
    expect(arrivals).toHaveLength(1);
    const retrying = new VecserveClient(url, { retries: 3, maxRetryWaitMs: 20 });
    await expect(
      retrying.write('p', { rows: [{ id: 'x', vector: [1, 2] }] }),
    ).rejects.toMatchObject({ status: 503 });
    expect(arrivals.map((a) => a.method)).toEqual(['POST', 'POST']);
    expect(arrivals[1]!.url).toBe('/v1/collections/p/vectors');
  });

  it('refuses options it cannot honour when it is built, naming them', () => {
    expect(() => new VecserveClient('http://x', { retries: -1 })).toThrow(
      /retries must be a whole number from 0 to 100, got -1/,
    );
    expect(() => new VecserveClient('http://x', { retries: Number.POSITIVE_INFINITY })).toThrow(
      /retries/,
    );
    expect(() => new VecserveClient('http://x', { timeoutMs: 0 })).toThrow(/timeoutMs must be/);
    expect(() => new VecserveClient('http://x', { maxRetryWaitMs: Number.NaN })).toThrow(
      /maxRetryWaitMs must be a finite number of ms, 0 or more, got NaN/,
    );
    expect(new VecserveClient('http://x', { retries: 0, timeoutMs: 500 })).toBeInstanceOf(
      VecserveClient,
    );
  });
});
