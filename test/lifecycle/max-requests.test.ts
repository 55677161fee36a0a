import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { retireAfterRequests } from '../../src/lifecycle/max-requests.ts';

describe('retireAfterRequests', () => {
  it('retires once, after the response that reached the threshold was sent', async () => {
    const server = createServer((_req, res) => res.end('ok'));
    const retired: number[] = [];
    const state = retireAfterRequests(server, {
      limit: 3,
      jitter: 0,
      retire: () => retired.push(state.count),
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    for (let i = 0; i < 2; i++) expect(await (await fetch(url)).text()).toBe('ok');
    expect(retired).toEqual([]);
    expect(await (await fetch(url)).text()).toBe('ok');
    await new Promise((r) => setTimeout(r, 20));
    expect(retired).toEqual([3]);
    await fetch(url);
    await new Promise((r) => setTimeout(r, 20));
    expect(retired).toEqual([3]);
    server.close();
  });

  it('draws the threshold from [limit, limit + jitter]', () => {
    const server = createServer();
    const low = retireAfterRequests(server, {
      limit: 100,
      jitter: 50,
      retire: () => {},
      random: () => 0,
    });
    const high = retireAfterRequests(server, {
      limit: 100,
      jitter: 50,
      retire: () => {},
      random: () => 0.9999,
    });
    expect(low.threshold).toBe(100);
    expect(high.threshold).toBe(150);
  });
});
