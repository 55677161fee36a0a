/**
 * Errors raised below the HTTP layer. Each has a stable `code`; only the HTTP
 * layer (src/server/problem.ts) maps codes to status codes and problem+json.
 */
export type ErrorCode =
  | 'invalid_request'
  | 'malformed_json'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'not_found'
  | 'conflict'
  | 'quota_exceeded'
  | 'unauthorized'
  | 'forbidden'
  | 'read_only'
  | 'unavailable'
  | 'deadline_exceeded'
  | 'request_timeout'
  | 'rate_limited'
  | 'overloaded'
  | 'client_closed'
  | 'internal';

export class ServiceError extends Error {
  readonly code: ErrorCode;
  /** Extra machine-readable detail, copied into the problem+json body. */
  readonly detail?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, detail?: Record<string, unknown>) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.detail = detail;
  }
}

/**
 * The client went away before its answer: nobody reads it, and it says nothing
 * about the backend's health (a circuit breaker must not count it).
 */
export class ClientClosedError extends ServiceError {
  constructor(message = 'client closed the connection before the response') {
    super('client_closed', message);
  }
}

/** The request is well-formed JSON but its content is wrong (400). */
export class InvalidRequestError extends ServiceError {
  constructor(message: string, detail?: Record<string, unknown>) {
    super('invalid_request', message, detail);
  }
}

export class MalformedJsonError extends ServiceError {
  constructor(message: string) {
    super('malformed_json', message);
  }
}

export class PayloadTooLargeError extends ServiceError {
  constructor(limitBytes: number) {
    super('payload_too_large', `request body is larger than the limit of ${limitBytes} bytes`, {
      limitBytes,
    });
  }
}

export class NotFoundError extends ServiceError {
  constructor(message: string) {
    super('not_found', message);
  }
}

export class ConflictError extends ServiceError {
  constructor(message: string) {
    super('conflict', message);
  }
}

/** A quota of the server (collections, dimension, index parameters) would be passed. */
export class QuotaExceededError extends ServiceError {
  constructor(message: string, detail?: Record<string, unknown>) {
    super('quota_exceeded', message, detail);
  }
}

/** No credentials, or credentials the server does not know (401). */
export class UnauthorizedError extends ServiceError {
  constructor(message: string) {
    super('unauthorized', message);
  }
}

/** Known credentials without the role the route needs (403). */
export class ForbiddenError extends ServiceError {
  constructor(message: string, detail?: Record<string, unknown>) {
    super('forbidden', message, detail);
  }
}

/** A write reached a collection that this process serves read-only. */
export class ReadOnlyError extends ServiceError {
  constructor(message: string) {
    super('read_only', message);
  }
}

/** The backend cannot answer now (down, closing, not ready); worth retrying later. */
export class UnavailableError extends ServiceError {
  constructor(message: string, detail?: Record<string, unknown>) {
    super('unavailable', message, detail);
  }
}

export class DeadlineExceededError extends ServiceError {
  constructor(timeoutMs: number) {
    super('deadline_exceeded', `request did not finish within its deadline of ${timeoutMs} ms`, {
      timeoutMs,
    });
  }
}

/**
 * The client did not send its whole request before the deadline (a body that
 * stalled mid-upload): the client's fault, HTTP's 408, never a 5xx that pages
 * whoever alerts on server errors.
 */
export class RequestTimeoutError extends ServiceError {
  constructor(timeoutMs: number) {
    super(
      'request_timeout',
      `the request body was not received within the request's deadline of ${timeoutMs} ms`,
      { timeoutMs },
    );
  }
}

export function isServiceError(err: unknown): err is ServiceError {
  return err instanceof ServiceError;
}
