import type { ServerResponse } from 'node:http';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ErrorCode, ServiceError } from '../core/errors.ts';

/** The one place where error codes become HTTP statuses. */
export const STATUS_BY_CODE: Record<ErrorCode, ContentfulStatusCode> = {
  invalid_request: 400,
  malformed_json: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  not_found: 404,
  conflict: 409,
  quota_exceeded: 409,
  unauthorized: 401,
  forbidden: 403,
  read_only: 409,
  unavailable: 503,
  deadline_exceeded: 504,
  request_timeout: 408,
  rate_limited: 429,
  overloaded: 503,
  // nginx's "client closed request": logged and counted, written to a socket nobody reads.
  client_closed: 499 as ContentfulStatusCode,
  internal: 500,
};

const TITLES: Record<string, string> = {
  invalid_request: 'Invalid request',
  malformed_json: 'Malformed JSON',
  payload_too_large: 'Payload too large',
  not_found: 'Not found',
  conflict: 'Conflict',
  quota_exceeded: 'Quota exceeded',
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  read_only: 'Collection is read-only here',
  unavailable: 'Service unavailable',
  deadline_exceeded: 'Deadline exceeded',
  request_timeout: 'Request timeout',
  rate_limited: 'Too many requests',
  overloaded: 'Server overloaded',
  client_closed: 'Client closed request',
  unsupported_media_type: 'Unsupported media type',
  method_not_allowed: 'Method not allowed',
  internal: 'Internal server error',
};

export interface ProblemInit {
  code: string;
  status: ContentfulStatusCode;
  detail: string;
  extra?: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** The JSON of an RFC 9457 problem, for `problem` and for answers given before routing. */
export function problemBody(
  p: Omit<ProblemInit, 'headers'>,
  instance: string,
  requestId: string | undefined,
): string {
  return JSON.stringify({
    type: `urn:vecserve:problem:${p.code}`,
    title: TITLES[p.code] ?? p.code,
    status: p.status,
    code: p.code,
    detail: p.detail,
    instance,
    ...p.extra,
    // Follows a failed request from nginx's log to the app's log to this body.
    requestId,
  });
}

/**
 * `problemBody` for one problem and instance, built once, for any request id:
 * the id is its last field, so only it is written per request.
 */
export function problemBodyFor(
  p: Omit<ProblemInit, 'headers'>,
  instance: string,
): (requestId: string) => string {
  const open = problemBody(p, instance, undefined).slice(0, -1);
  return (requestId) => `${open},"requestId":${JSON.stringify(requestId)}}`;
}

/** An RFC 9457 application/problem+json response. */
export function problem(c: Context, p: ProblemInit): Response {
  const body = problemBody(p, c.req.path, (c.get('requestId') as string | undefined) ?? undefined);
  return c.body(body, p.status, {
    'content-type': 'application/problem+json',
    ...p.headers,
  });
}

/** The problem a ServiceError answers with: its status, detail, extra fields and Retry-After. */
export function problemOfError(err: ServiceError): ProblemInit {
  const headers: Record<string, string> = {};
  const retryAfterMs = (err as { retryAfterMs?: number }).retryAfterMs;
  if (retryAfterMs !== undefined)
    headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  else if (err.code === 'unavailable') headers['retry-after'] = '1';
  return {
    code: err.code,
    status: STATUS_BY_CODE[err.code],
    detail: err.message,
    extra: err.detail,
    headers,
  };
}

/**
 * A problem written straight to Node's response, for answers given off Hono
 * (early refusals, the search route's direct path): the same body and
 * headers `problem` gives.
 */
export function writeProblem(
  res: ServerResponse,
  p: ProblemInit,
  instance: string,
  requestId: string,
): void {
  writeProblemBody(res, p, problemBody(p, instance, requestId), requestId);
}

/** `writeProblem` with the body already built (`problemBodyFor`). */
export function writeProblemBody(
  res: ServerResponse,
  p: ProblemInit,
  body: string,
  requestId: string,
): void {
  res.writeHead(p.status, {
    'x-request-id': requestId,
    ...p.headers,
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}
