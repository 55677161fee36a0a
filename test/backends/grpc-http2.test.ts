import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  frame,
  GRPC_STATUS,
  GrpcHttp2Connection,
  GrpcStatusError,
  unframe,
} from '../../src/backends/milvus/grpc-http2.ts';
import { isNeverSent } from '../../src/backends/milvus/milvus-status.ts';

/**
 * The gRPC-over-HTTP/2 client against real HTTP/2 servers on loopback that
 * answer as a gRPC server does (a real Milvus is in test/integration/).
 */

type Handler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void;

const servers: { close(): void }[] = [];
const connections: GrpcHttp2Connection[] = [];

afterEach(() => {
  for (const c of connections.splice(0)) c.close();
  for (const s of servers.splice(0)) s.close();
});

async function grpcServer(handler: Handler, port = 0) {
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  server.on('stream', handler);
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const handle = {
    port: (server.address() as AddressInfo).port,
    sessions,
    close() {
      for (const s of sessions) s.destroy();
      server.close();
    },
  };
  servers.push(handle);
  return handle;
}

/** Answers each call with `reply(request)` and grpc-status 0, as a gRPC server does. */
function echo(reply: (request: Buffer) => Buffer = (r) => r): Handler {
  return (stream) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc' },
        {
          waitForTrailers: true,
        },
      );
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(frame(reply(unframe(Buffer.concat(chunks)))));
    });
  };
}

function connect(port: number) {
  const c = new GrpcHttp2Connection(`127.0.0.1:${port}`);
  connections.push(c);
  return c;
}

const call = (
  c: GrpcHttp2Connection,
  body = 'ping',
  opts: { timeoutMs?: number; signal?: AbortSignal; metadata?: Record<string, string> } = {},
) =>
  c.unary('/milvus.proto.milvus.MilvusService/Search', Buffer.from(body), {
    timeoutMs: opts.timeoutMs ?? 2_000,
    signal: opts.signal,
    metadata: opts.metadata,
  });

async function failure(p: Promise<unknown>): Promise<GrpcStatusError> {
  const err = await p.then(
    () => new Error('the call succeeded'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GrpcStatusError);
  return err as GrpcStatusError;
}

describe('gRPC unary calls on node:http2', () => {
  it('sends one framed message with the gRPC headers and metadata, and returns the answer', async () => {
    let seen: http2.IncomingHttpHeaders = {};
    const server = await grpcServer((stream, headers) => {
      seen = headers;
      echo((r) => Buffer.concat([Buffer.from('re:'), r]))(stream, headers);
    });
    const c = connect(server.port);
    const answer = await call(c, 'search me', {
      metadata: { authorization: 'dTpw', dbname: 'db1' },
    });
    expect(answer.toString()).toBe('re:search me');
    expect(seen[':method']).toBe('POST');
    expect(seen[':path']).toBe('/milvus.proto.milvus.MilvusService/Search');
    expect(seen['content-type']).toBe('application/grpc');
    expect(seen.te).toBe('trailers');
    expect(seen['grpc-timeout']).toBe('2000m');
    expect(seen.authorization).toBe('dTpw');
    expect(seen.dbname).toBe('db1');
    // Calls multiplex on one connection.
    await Promise.all([call(c, 'a'), call(c, 'b'), call(c, 'c')]);
    expect(server.sessions.size).toBe(1);
  });

  it('a non-OK grpc-status in the trailers, or a trailers-only answer, is an error with its code and message', async () => {
    const server = await grpcServer((stream, headers) => {
      if (headers['x-trailers-only']) {
        stream.respond(
          {
            ':status': 200,
            'content-type': 'application/grpc',
            'grpc-status': '5',
            'grpc-message': 'collection%20not%20found',
          },
          { endStream: true },
        );
        return;
      }
      stream.on('data', () => undefined);
      stream.on('end', () => {
        stream.respond(
          { ':status': 200, 'content-type': 'application/grpc' },
          {
            waitForTrailers: true,
          },
        );
        stream.on('wantTrailers', () =>
          stream.sendTrailers({
            'grpc-status': '8',
            'grpc-message': 'rate%20limit%3A%20slow%20down',
          }),
        );
        stream.end();
      });
    });
    const c = connect(server.port);
    const trailers = await failure(call(c));
    expect(trailers.code).toBe(8);
    expect(trailers.details).toBe('rate limit: slow down');
    expect(trailers.message).toBe('8 RESOURCE_EXHAUSTED: rate limit: slow down');
    const only = await failure(call(c, 'x', { metadata: { 'x-trailers-only': '1' } }));
    expect(only.code).toBe(5);
    expect(only.details).toBe('collection not found');
  });

  it('an answer that is not gRPC (a proxy answering 503) is UNAVAILABLE, naming the HTTP status', async () => {
    const server = await grpcServer((stream) => {
      stream.respond({ ':status': 503, 'content-type': 'text/plain' });
      stream.end('no upstream');
    });
    const err = await failure(call(connect(server.port)));
    expect(err.code).toBe(GRPC_STATUS.UNAVAILABLE);
    expect(err.details).toContain('HTTP 503');
  });

  it('the deadline ends a call the server does not answer, and cancels its stream', async () => {
    let cancelled: number | undefined;
    const server = await grpcServer((stream) => {
      stream.on('close', () => {
        cancelled = stream.rstCode;
      });
    });
    const c = connect(server.port);
    const started = performance.now();
    const err = await failure(call(c, 'slow', { timeoutMs: 150 }));
    expect(err.code).toBe(GRPC_STATUS.DEADLINE_EXCEEDED);
    expect(performance.now() - started).toBeLessThan(1_000);
    await expect.poll(() => cancelled).toBe(http2.constants.NGHTTP2_CANCEL);
  });

  it('an aborted call rejects with the signal reason at once and cancels its stream', async () => {
    let cancelled: number | undefined;
    const server = await grpcServer((stream) => {
      stream.on('close', () => {
        cancelled = stream.rstCode;
      });
    });
    const c = connect(server.port);
    const controller = new AbortController();
    const pending = call(c, 'x', { timeoutMs: 5_000, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('client went away')), 50);
    await expect(pending).rejects.toThrow('client went away');
    await expect.poll(() => cancelled).toBe(http2.constants.NGHTTP2_CANCEL);
    const already = new AbortController();
    already.abort(new Error('gone before'));
    await expect(call(c, 'x', { signal: already.signal })).rejects.toThrow('gone before');
  });

  it('a refused connection is UNAVAILABLE, and calls succeed again once the server is back (no restart)', async () => {
    const first = await grpcServer(echo());
    const port = first.port;
    first.close();
    const c = connect(port);
    const down = await failure(call(c));
    expect(down.code).toBe(GRPC_STATUS.UNAVAILABLE);
    // Never connected, so never sent: a balancer may move it, a write included.
    expect(isNeverSent(down)).toBe(true);
    await grpcServer(echo(), port);
    expect((await call(c, 'back')).toString()).toBe('back');
  });

  it('a connection lost after the call was sent is UNAVAILABLE but not "never sent" (a write must not be resent)', async () => {
    const server = await grpcServer((stream) => {
      // The request arrived; the server dies before answering.
      stream.on('data', () => stream.session?.destroy());
    });
    const c = connect(server.port);
    const lost = await failure(call(c));
    expect(lost.code).toBe(GRPC_STATUS.UNAVAILABLE);
    expect(isNeverSent(lost)).toBe(false);
  });

  it('after a GOAWAY (a server restarting), the next call opens a new connection', async () => {
    const server = await grpcServer(echo());
    const c = connect(server.port);
    expect((await call(c, 'one')).toString()).toBe('one');
    const [old] = server.sessions;
    old!.goaway();
    await new Promise((r) => setTimeout(r, 50));
    expect((await call(c, 'two')).toString()).toBe('two');
    expect([...server.sessions].filter((s) => s !== old).length).toBe(1);
  });

  it('a peer that accepted and went silent is dropped after a timed-out call, so the next call reconnects', async () => {
    const sockets: Socket[] = [];
    let accepted = 0;
    const silent: Server = createServer((s) => {
      accepted++;
      sockets.push(s); // never answers, not even the HTTP/2 preface
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    servers.push({
      close() {
        for (const s of sockets) s.destroy();
        silent.close();
      },
    });
    const c = connect((silent.address() as AddressInfo).port);
    expect((await failure(call(c, 'x', { timeoutMs: 100 }))).code).toBe(
      GRPC_STATUS.DEADLINE_EXCEEDED,
    );
    // The ping after the timeout gets no answer either: within 2 s the connection is dropped.
    await new Promise((r) => setTimeout(r, 2_300));
    await failure(call(c, 'y', { timeoutMs: 100 }));
    expect(accepted).toBe(2);
  });

  it('a closed connection refuses calls', async () => {
    const server = await grpcServer(echo());
    const c = connect(server.port);
    c.close();
    expect((await failure(call(c))).code).toBe(GRPC_STATUS.UNAVAILABLE);
  });

  it('frames and unframes messages; a compressed or short answer is refused', () => {
    const m = Buffer.from('hello');
    expect(frame(m)).toEqual(Buffer.from([0, 0, 0, 0, 5, ...m]));
    expect(unframe(frame(m)).toString()).toBe('hello');
    expect(() => unframe(Buffer.from([1, 0, 0, 0, 1, 7]))).toThrow(/compressed/);
    expect(() => unframe(Buffer.from([0, 0, 0, 0, 9, 7]))).toThrow(/9 bytes arrived with 1/);
    expect(() => unframe(Buffer.from([0, 0]))).toThrow(/no message/);
  });
});
