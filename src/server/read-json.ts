import type { Context } from 'hono';
import { MalformedJsonError, ServiceError } from '../core/errors.ts';

export class UnsupportedMediaTypeError extends ServiceError {
  constructor(type: string) {
    super('invalid_request', `Content-Type must be application/json, got "${type}"`);
  }
}

/** Reads the body as JSON; a missing Content-Type is accepted as JSON. */
export async function readJson(c: Context): Promise<unknown> {
  const type = c.req.header('content-type');
  if (type && !/^application\/([\w.+-]+\+)?json\b/i.test(type))
    throw new UnsupportedMediaTypeError(type);
  const text = await c.req.text();
  if (text.trim() === '')
    throw new MalformedJsonError('request body is empty; expected a JSON object');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new MalformedJsonError(`request body is not valid JSON: ${(err as Error).message}`);
  }
}
