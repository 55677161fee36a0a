import type { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { GrpcHttp2Connection } from './grpc-http2.ts';

/** The slice of a grpc-js client (one of the SDK's pooled channels) a raw call uses. */
interface GrpcServiceClient {
  makeUnaryRequest(
    path: string,
    serialize: (value: Buffer) => Buffer,
    deserialize: (bytes: Buffer) => unknown,
    argument: Buffer,
    options: { deadline: Date },
    callback: (err: Error | null, value?: unknown) => void,
  ): unknown;
  [method: string]: unknown;
}

interface MethodDefinition {
  path: string;
  responseDeserialize: (bytes: Buffer) => unknown;
}

/**
 * One MilvusService call with a request already encoded (see insert-request.ts),
 * on a channel of the SDK's own pool: the SDK's interceptors (auth, database)
 * and connection are used as for any of its calls; only its per-call request
 * formatting is skipped. The answer is decoded by the SDK's own definition.
 */
export async function encodedCall(
  client: MilvusClient,
  method: 'Insert' | 'Upsert' | 'Search',
  request: Buffer,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  // The SDK's retry interceptor JSON.stringifies every request for a debug line,
  // logged or not: a Buffer's toJSON lists every byte (2 MB per batch of 1,000
  // 512-d rows, a fifth of a loader's CPU). Say what the request is instead.
  // The same request may be sent again (a retry on another endpoint): marked once.
  if (!Object.hasOwn(request, 'toJSON')) {
    const bytes = request.length;
    Object.defineProperty(request, 'toJSON', {
      value: () => `[${method}Request, ${bytes} bytes, encoded]`,
    });
  }
  const pool = client.channelPool;
  const channel = (await pool.acquire()) as unknown as GrpcServiceClient;
  try {
    const definition = methodDefinition(channel, method);
    return await new Promise((resolve, reject) => {
      channel.makeUnaryRequest(
        definition.path,
        (bytes) => bytes,
        definition.responseDeserialize,
        request,
        { deadline: new Date(Date.now() + timeoutMs) },
        (err, value) => (err ? reject(err) : resolve(value as Record<string, unknown>)),
      );
    });
  } finally {
    await pool.release(channel as never);
  }
}

/** The SDK's definition of `method` (its path and the decoder of its answer) on one of its channels. */
function methodDefinition(channel: GrpcServiceClient, method: string): MethodDefinition {
  const definition = channel[method] as MethodDefinition | undefined;
  if (!definition?.path || !definition.responseDeserialize)
    throw new Error(`the Milvus SDK's client has no ${method} method definition`);
  return definition;
}

/** A pooled client as the HTTP/2 path reads it: its address, TLS mode and call metadata. */
interface ClientView {
  config?: { address?: string; ssl?: boolean };
  tlsMode?: number;
  metadata?: Map<string, string>;
  channelPool: MilvusClient['channelPool'];
}

/**
 * The same encoded calls on gRPC-over-HTTP/2 connections of our own
 * (grpc-http2.ts), one per endpoint, for the hot path: a pooled client still
 * chooses the endpoint (balancing, ejection) and lends its metadata (auth,
 * database); its grpc-js channel is only used once per method, to read the
 * SDK's decoder of the answer. A client that speaks TLS keeps the grpc-js path.
 */
export class Http2EncodedCalls {
  readonly #connections = new Map<string, GrpcHttp2Connection>();
  readonly #definitions = new Map<string, MethodDefinition>();
  #closed = false;

  async call(
    client: MilvusClient,
    method: 'Insert' | 'Upsert' | 'Search',
    request: Buffer,
    opts: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<Record<string, unknown>> {
    const view = client as unknown as ClientView;
    const address = plaintextAddress(view);
    if (address === null || this.#closed)
      return encodedCall(client, method, request, opts.timeoutMs);
    const definition = this.#definitions.get(method) ?? (await this.#definition(view, method));
    let connection = this.#connections.get(address);
    if (!connection) {
      connection = new GrpcHttp2Connection(address);
      this.#connections.set(address, connection);
    }
    const bytes = await connection.unary(definition.path, request, {
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
      metadata: this.#metadataOf(view),
    });
    return definition.responseDeserialize(bytes) as Record<string, unknown>;
  }

  close(): void {
    this.#closed = true;
    for (const c of this.#connections.values()) c.close();
    this.#connections.clear();
  }

  /** The method's path and the SDK's decoder, read once from one of its channels. */
  async #definition(view: ClientView, method: string): Promise<MethodDefinition> {
    const channel = (await view.channelPool.acquire()) as unknown as GrpcServiceClient;
    try {
      const definition = methodDefinition(channel, method);
      this.#definitions.set(method, definition);
      return definition;
    } finally {
      await view.channelPool.release(channel as never);
    }
  }

  /**
   * What the SDK's metadata interceptor adds to each of its calls (authorization, dbname),
   * read per call: the SDK changes it when a client switches database.
   */
  #metadataOf(view: ClientView): Record<string, string> {
    return Object.fromEntries(view.metadata ?? []);
  }
}

/** host:port of a client that speaks plaintext gRPC; null for TLS (or an address it cannot read). */
function plaintextAddress(view: ClientView): string | null {
  const address = view.config?.address;
  if (!address || view.config?.ssl || (view.tlsMode ?? 0) !== 0) return null;
  if (address.startsWith('https://')) return null;
  const bare = address.replace(/^http:\/\//, '');
  return /^[\w.-]+:\d+$/.test(bare) ? bare : null;
}
