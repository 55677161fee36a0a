import type { MilvusClient } from '@zilliz/milvus2-sdk-node';

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
    const definition = channel[method] as MethodDefinition | undefined;
    if (!definition?.path || !definition.responseDeserialize)
      throw new Error(`the Milvus SDK's client has no ${method} method definition`);
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
