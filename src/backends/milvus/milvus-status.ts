import { InvalidRequestError, NotFoundError, UnavailableError } from '../../core/errors.ts';

/** The status Milvus puts in most answers instead of failing the call. */
export interface MilvusStatus {
  error_code?: string | number;
  code?: number;
  reason?: string;
}

/** gRPC status 14 (UNAVAILABLE) and 4 (DEADLINE_EXCEEDED): the server is not answering. */
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === 14 || code === 4;
}

/**
 * gRPC's refusal to send at all: the channel has no connection (grpc-js fails a call at once
 * with UNAVAILABLE "No connection established" while its subchannel cannot connect, and
 * grpc-http2.ts words a stream on a connection never made the same way). Such a call never
 * reached the server, so moving it to another endpoint adds no load and cannot apply a write
 * twice.
 */
export function isNeverSent(err: unknown): boolean {
  const e = err as { code?: unknown; details?: unknown; message?: unknown } | null;
  if (e?.code !== 14) return false;
  return /No connection established/i.test(String(e.details ?? e.message ?? ''));
}

/** An error's first line, at most 200 characters (503 details, readiness reasons). */
export function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err)
    .split('\n')[0]!
    .slice(0, 200);
}

/** Milvus's way of saying a collection does not exist. */
export function isNotFound(status: MilvusStatus | undefined): boolean {
  return /collection not found|can't find collection/i.test(status?.reason ?? '');
}

/** Milvus error codes that name a mistake in the request rather than the server's state. */
const CLIENT_ERROR_CODES = /IllegalArgument|Illegal|ParamError|InvalidArgument|^1100$|^5$/i;

/**
 * Milvus answers most errors in a status field rather than by throwing. A
 * missing collection is 404, a request Milvus calls invalid 400, and anything
 * else (not loaded yet, not ready, an internal error of Milvus's) is the
 * backend unavailable: 503 with Retry-After, counted by the breaker, never a
 * 500 of the API's own.
 */
export function check(
  status: MilvusStatus | { status?: MilvusStatus } | undefined,
  what: string,
): void {
  const s = (status && 'status' in status ? status.status : status) as MilvusStatus | undefined;
  const code = s?.error_code;
  if (code === undefined || code === 'Success' || code === 0) return;
  if (isNotFound(s)) throw new NotFoundError(s?.reason ?? 'collection not found');
  const text = `Milvus ${what} failed: ${code}: ${s?.reason ?? ''}`.trim();
  if (CLIENT_ERROR_CODES.test(String(code)) || CLIENT_ERROR_CODES.test(String(s?.code ?? '')))
    throw new InvalidRequestError(text);
  throw new UnavailableError(text, { reason: 'milvus_error', milvusCode: code });
}
