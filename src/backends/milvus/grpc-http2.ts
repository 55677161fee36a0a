import http2, { type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';

/**
 * gRPC unary calls over node:http2 itself, for the one call on the hot path
 * (Search): the request, already encoded (search-request.ts), goes out as one
 * length-prefixed message and the answer comes back as its bytes. grpc-js
 * wraps each call in a call stack, filters, interceptors and per-call
 * metadata: 1.0-1.6 ms of CPU per Search measured here, against 0.4-0.7 ms
 * for the same Search, decoded the same way, on a bare HTTP/2 stream
 * (docs/milvus-transport.md). Every other call stays on the SDK.
 *
 * The wire format is gRPC's (a POST to /package.Service/Method,
 * `content-type: application/grpc`, `te: trailers`, each message prefixed by
 * a compressed flag and a 4-byte length, the status in `grpc-status`
 * trailers); no compression is offered, so none comes back.
 */

/** gRPC status codes (grpc/doc/statuscodes.md) this client produces or names. */
export const GRPC_STATUS = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

const STATUS_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(GRPC_STATUS).map(([name, code]) => [code, name]),
);

/** A call that ended with a gRPC status other than OK, shaped as grpc-js's errors are. */
export class GrpcStatusError extends Error {
  readonly code: number;
  readonly details: string;
  constructor(code: number, details: string) {
    super(`${code} ${STATUS_NAMES[code] ?? 'UNKNOWN'}: ${details}`);
    this.name = 'GrpcStatusError';
    this.code = code;
    this.details = details;
  }
}

/** A peer that does not answer a ping within this long after a call timed out is dropped. */
const PING_TIMEOUT_MS = 2_000;

export interface UnaryCallOptions {
  /** The call's deadline: sent as grpc-timeout and enforced here. */
  timeoutMs: number;
  /** Aborting cancels the stream (RST_STREAM CANCEL), so the server can stop too. */
  signal?: AbortSignal;
  /** Request metadata (authorization, dbname), as the SDK's interceptors send it. */
  metadata?: Readonly<Record<string, string>>;
}

/**
 * One HTTP/2 connection to a gRPC server, opened on first use and again after
 * it closes (a restart, a GOAWAY): calls multiplex on it as grpc-js's do on a
 * shared channel. A connection that stops answering (a call timed out and a
 * ping then got no answer) is dropped, so the next call reconnects instead of
 * waiting out its deadline on a dead socket.
 */
export class GrpcHttp2Connection {
  readonly authority: string;
  #session: ClientHttp2Session | null = null;
  /** Sessions whose connection was made: a stream failing on one may have been sent. */
  readonly #connected = new WeakSet<ClientHttp2Session>();
  #closed = false;

  /** `address` is host:port (plaintext, as Milvus listens by default). */
  constructor(address: string) {
    this.authority = `http://${address}`;
  }

  /** Sends one message to `path` and resolves with the one message answered. */
  unary(path: string, message: Buffer, opts: UnaryCallOptions): Promise<Buffer> {
    if (this.#closed)
      return Promise.reject(
        new GrpcStatusError(GRPC_STATUS.UNAVAILABLE, 'the connection was closed'),
      );
    if (opts.signal?.aborted) return Promise.reject(opts.signal.reason);
    const session = this.#sessionNow();
    return new Promise<Buffer>((resolve, reject) => {
      let stream: ClientHttp2Stream;
      try {
        stream = session.request(
          {
            ':method': 'POST',
            ':path': path,
            'content-type': 'application/grpc',
            te: 'trailers',
            'grpc-timeout': `${Math.max(1, Math.ceil(opts.timeoutMs))}m`,
            ...opts.metadata,
          },
          { endStream: false },
        );
      } catch (err) {
        // The session closed between its check and this request (ERR_HTTP2_INVALID_SESSION).
        this.#drop(session);
        reject(new GrpcStatusError(GRPC_STATUS.UNAVAILABLE, (err as Error).message));
        return;
      }
      const chunks: Buffer[] = [];
      let status: number | null = null;
      let statusMessage = '';
      let httpStatus = 0;
      let settled = false;
      const finish = (err: unknown, value?: Buffer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(value!);
      };
      const readStatus = (headers: http2.IncomingHttpHeaders) => {
        const s = headers['grpc-status'];
        if (s !== undefined) {
          status = Number(s);
          statusMessage = decodeGrpcMessage(headers['grpc-message']);
        }
      };
      const timer = setTimeout(() => {
        stream.close(http2.constants.NGHTTP2_CANCEL);
        finish(
          new GrpcStatusError(
            GRPC_STATUS.DEADLINE_EXCEEDED,
            `no answer within ${opts.timeoutMs} ms`,
          ),
        );
        this.#checkAlive(session);
      }, opts.timeoutMs);
      const onAbort = () => {
        stream.close(http2.constants.NGHTTP2_CANCEL);
        finish(opts.signal!.reason);
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      stream.on('response', (headers) => {
        httpStatus = Number(headers[':status']);
        readStatus(headers); // a trailers-only answer carries its status here
      });
      stream.on('trailers', readStatus);
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (err: Error) =>
        finish(
          new GrpcStatusError(
            GRPC_STATUS.UNAVAILABLE,
            // Worded as grpc-js words it: a connection never made means the request never
            // left, so a balancer may send it elsewhere, a write included (isNeverSent).
            this.#connected.has(session)
              ? err.message
              : `No connection established. Last error: ${err.message}`,
          ),
        ),
      );
      stream.on('close', () => {
        if (settled) return;
        if (status === null) {
          finish(
            new GrpcStatusError(
              GRPC_STATUS.UNAVAILABLE,
              httpStatus && httpStatus !== 200
                ? `HTTP ${httpStatus} from ${this.authority}`
                : `the stream closed without a gRPC status (code ${stream.rstCode})`,
            ),
          );
          return;
        }
        if (status !== GRPC_STATUS.OK) {
          finish(new GrpcStatusError(status, statusMessage));
          return;
        }
        try {
          finish(null, unframe(Buffer.concat(chunks)));
        } catch (err) {
          finish(new GrpcStatusError(GRPC_STATUS.INTERNAL, (err as Error).message));
        }
      });
      stream.end(frame(message));
    });
  }

  /** Closes the connection; calls after this fail with UNAVAILABLE. */
  close(): void {
    this.#closed = true;
    this.#session?.close();
    this.#session = null;
  }

  #sessionNow(): ClientHttp2Session {
    const live = this.#session;
    if (live && !live.closed && !live.destroyed) return live;
    const session = http2.connect(this.authority, { settings: { enablePush: false } });
    session.once('connect', () => this.#connected.add(session));
    // A refused or reset connection fails the streams on it; the session itself is replaced.
    session.on('error', () => this.#drop(session));
    // GOAWAY (a server shutting down): no new calls here; the ones in flight finish first.
    session.on('goaway', () => {
      this.#drop(session);
      session.close();
    });
    session.on('close', () => this.#drop(session));
    // The server's own work keeps the process alive; an idle connection to Milvus must not.
    session.unref();
    this.#session = session;
    return session;
  }

  #drop(session: ClientHttp2Session): void {
    if (this.#session === session) this.#session = null;
  }

  /** After a timeout: a connection whose peer no longer answers pings is replaced. */
  #checkAlive(session: ClientHttp2Session): void {
    if (session.destroyed || this.#session !== session) return;
    const deadline = setTimeout(() => session.destroy(), PING_TIMEOUT_MS);
    deadline.unref();
    try {
      session.ping((err) => {
        clearTimeout(deadline);
        if (err) session.destroy();
      });
    } catch {
      clearTimeout(deadline);
      session.destroy();
    }
  }
}

/** A gRPC message: an uncompressed flag, its length (big-endian) and its bytes. */
export function frame(message: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  message.copy(out, 5);
  return out;
}

/** The one message of a unary answer. */
export function unframe(body: Buffer): Buffer {
  if (body.length < 5) throw new Error(`a gRPC answer of ${body.length} bytes has no message`);
  if (body[0] !== 0) throw new Error('a compressed gRPC message (none was offered)');
  const length = body.readUInt32BE(1);
  if (body.length < 5 + length)
    throw new Error(`a gRPC message of ${length} bytes arrived with ${body.length - 5}`);
  return body.subarray(5, 5 + length);
}

/** grpc-message is percent-encoded (gRPC over HTTP/2, "Status-Message"). */
function decodeGrpcMessage(value: string | string[] | undefined): string {
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
