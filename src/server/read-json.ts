import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import {
  ClientClosedError,
  MalformedJsonError,
  PayloadTooLargeError,
  ServiceError,
} from '../core/errors.ts';
import type { AppEnv } from './app-env.ts';
import { nodeBindings } from './node-bindings.ts';

export class UnsupportedMediaTypeError extends ServiceError {
  constructor(detail: string) {
    super('unsupported_media_type', detail);
  }
}

/**
 * Reads the body as JSON, refusing more than `limitBytes` (413) as soon as the
 * Content-Length or the bytes received pass it. A missing Content-Type is
 * accepted as JSON.
 */
export async function readJson(c: Context<AppEnv>, limitBytes: number): Promise<unknown> {
  return parseJsonBody(c.get('rawBody') ?? (await readBodyText(c, limitBytes)));
}

/**
 * The body as text, checked as readJson checks it before parsing (media type,
 * size). The result cache reads it this way before admission, keeps it as the
 * request's `rawBody`, and readJson then parses that instead of reading again.
 */
export function readBodyText(c: Context<AppEnv>, limitBytes: number): Promise<string> {
  const node = nodeBindings(c);
  if (node) return readNodeBody(node.incoming, limitBytes);
  checkBodyHeaders((name) => c.req.header(name), limitBytes);
  return c.req.arrayBuffer().then((buf) => {
    if (buf.byteLength > limitBytes) throw new PayloadTooLargeError(limitBytes);
    return new TextDecoder().decode(buf);
  });
}

/** `readBodyText` on Node's request alone (the search route served off Hono's dispatch reads it so). */
export function readNodeBody(incoming: IncomingMessage, limitBytes: number): Promise<string> {
  const headers = incoming.headers;
  checkBodyHeaders((name) => headers[name] as string | undefined, limitBytes);
  return readText(incoming, limitBytes);
}

/** What the headers say about the body: its media type, coding and declared size. */
function checkBodyHeaders(header: (name: string) => string | undefined, limitBytes: number): void {
  const type = header('content-type');
  if (type && !/^application\/([\w.+-]+\+)?json\b/i.test(type))
    throw new UnsupportedMediaTypeError(`Content-Type must be application/json, got "${type}"`);
  // A compressed body read as plain text would be parsed as garbage, or worse, as
  // the wrong request: refuse any coding but identity (RFC 9110 15.5.16).
  const coding = header('content-encoding');
  if (coding && coding.trim().toLowerCase() !== 'identity')
    throw new UnsupportedMediaTypeError(
      `Content-Encoding "${coding}" is not accepted; send the body uncompressed (identity)`,
    );
  const declared = Number(header('content-length'));
  if (declared > limitBytes) throw new PayloadTooLargeError(limitBytes);
}

/** The body's text as JSON: 400 when empty, malformed or nested past MAX_JSON_DEPTH. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '')
    throw new MalformedJsonError('request body is empty; expected a JSON object');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // RFC 8259 lets a parser ignore a byte order mark, and some clients send one
    // (Windows PowerShell 5's UTF-8): looked for only here, off the hot path.
    if (text.charCodeAt(0) === 0xfeff) return parseJsonBody(text.slice(1));
    throw new MalformedJsonError(`request body is not valid JSON: ${(err as Error).message}`);
  }
  if (nestsDeeper(value, MAX_JSON_DEPTH))
    throw new MalformedJsonError(
      `request body nests arrays/objects deeper than ${MAX_JSON_DEPTH} levels; no request of this API needs more than 4`,
    );
  return value;
}

/** No body of this API nests deeper than 4; anything past this is refused (400). */
export const MAX_JSON_DEPTH = 32;

/**
 * True when `value` nests arrays/objects deeper than `limit`. JSON.parse
 * itself takes any depth, but every recursive consumer after it (validation,
 * logging, JSON.stringify) overflows the stack on 5,000 levels; checked on the
 * parsed value, because a scan of the text costs 60% of the parse on a
 * 512-float body and this walk about 1 us (it only descends into containers).
 */
export function nestsDeeper(value: unknown, limit: number, depth = 1): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (depth > limit) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      if (typeof v === 'object' && v !== null && nestsDeeper(v, limit, depth + 1)) return true;
    }
    return false;
  }
  for (const key in value) {
    const v = (value as Record<string, unknown>)[key];
    if (typeof v === 'object' && v !== null && nestsDeeper(v, limit, depth + 1)) return true;
  }
  return false;
}

/**
 * The body as text. Read with 'data'/'end' listeners, not an async iterator:
 * a search body arrives in one chunk, and the iterator's promise machinery
 * cost more than the read (profile of a saturated worker). Past the limit the
 * rest is left for Node to discard after the 413 is answered.
 */
function readText(incoming: IncomingMessage, limitBytes: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        done();
        reject(new PayloadTooLargeError(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      resolve(
        chunks.length === 1
          ? chunks[0]!.toString('utf8')
          : Buffer.concat(chunks, size).toString('utf8'),
      );
    };
    const onError = (err: Error) => {
      done();
      reject(err);
    };
    // The client went away mid-body: the deadline's watcher answers for it.
    const onClose = () => {
      done();
      reject(new ClientClosedError());
    };
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
    incoming.on('close', onClose);
  });
}
