import type { Context } from 'hono';
import { MalformedJsonError, PayloadTooLargeError, ServiceError } from '../core/errors.ts';
import { nodeBindings } from './node-bindings.ts';

export class UnsupportedMediaTypeError extends ServiceError {
  constructor(type: string) {
    super('unsupported_media_type', `Content-Type must be application/json, got "${type}"`);
  }
}

/**
 * Reads the body as JSON, refusing more than `limitBytes` (413) as soon as the
 * Content-Length or the bytes received pass it. A missing Content-Type is
 * accepted as JSON.
 */
export async function readJson(c: Context, limitBytes: number): Promise<unknown> {
  const type = c.req.header('content-type');
  if (type && !/^application\/([\w.+-]+\+)?json\b/i.test(type))
    throw new UnsupportedMediaTypeError(type);
  const declared = Number(c.req.header('content-length'));
  if (declared > limitBytes) throw new PayloadTooLargeError(limitBytes);
  const text = await readText(c, limitBytes);
  if (text.trim() === '')
    throw new MalformedJsonError('request body is empty; expected a JSON object');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new MalformedJsonError(`request body is not valid JSON: ${(err as Error).message}`);
  }
}

async function readText(c: Context, limitBytes: number): Promise<string> {
  const node = nodeBindings(c);
  if (!node) {
    const buf = await c.req.arrayBuffer();
    if (buf.byteLength > limitBytes) throw new PayloadTooLargeError(limitBytes);
    return new TextDecoder().decode(buf);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of node.incoming as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) throw new PayloadTooLargeError(limitBytes);
    chunks.push(chunk);
  }
  return chunks.length === 1
    ? chunks[0]!.toString('utf8')
    : Buffer.concat(chunks, size).toString('utf8');
}
