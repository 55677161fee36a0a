import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createMilvusClient } from '../../src/backends/milvus/milvus-pool.ts';
import { isConnectionError, isNeverSent } from '../../src/backends/milvus/milvus-status.ts';

/** A loopback port nobody listens on (bound, read, closed). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

describe('isNeverSent', () => {
  it("is true for the SDK's error when nothing listens at the address: the call never left", async () => {
    const client = createMilvusClient(`127.0.0.1:${await closedPort()}`, {
      separateConnection: true,
      sdkPoolMax: 1,
      timeoutMs: 2000,
    });
    const err = await client.search({ collection_name: 'c', data: [[1, 2]], limit: 1 }).then(
      () => null,
      (e: unknown) => e,
    );
    await client.closeConnection().catch(() => undefined);
    expect(isConnectionError(err)).toBe(true);
    expect(isNeverSent(err)).toBe(true);
  });

  it('is false for other transport errors, which may come after the request was sent', () => {
    const reset = Object.assign(new Error('14 UNAVAILABLE: Connection dropped'), {
      code: 14,
      details: 'Connection dropped',
    });
    const deadline = Object.assign(new Error('4 DEADLINE_EXCEEDED'), { code: 4, details: 'x' });
    expect(isNeverSent(reset)).toBe(false);
    expect(isNeverSent(deadline)).toBe(false);
    expect(isNeverSent(new Error('No connection established'))).toBe(false); // no gRPC code
    expect(isNeverSent(null)).toBe(false);
  });
});
