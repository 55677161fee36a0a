import { hash } from 'node:crypto';
import type { Context } from 'hono';
import type { ResultCache } from '../backends/cache/result-cache.ts';
import type { AppEnv } from './app-env.ts';
import { readBodyText } from './read-json.ts';

/** POST /v1/collections/:name/search and /search/batch: the requests whose answers are kept. */
const SEARCH_PATH = /^\/v1\/collections\/([^/]+)\/search(\/batch)?$/;

/** True for a request target (path and query) a search route answers. */
export function isSearchTarget(target: string): boolean {
  const query = target.indexOf('?');
  return SEARCH_PATH.test(query < 0 ? target : target.slice(0, query));
}

/** What admission asks before it takes a concurrency slot: an answer to send now, or null. */
export type EarlyAnswer = (c: Context<AppEnv>) => Promise<Response | null>;

/**
 * Answers a search from the result cache before admission's breaker and
 * concurrency slot (a hit costs no backend work; the rate limit and the
 * event-loop gate have already counted it). The key is the collection, the
 * route and a SHA-256 of the raw body bytes: the same bytes always parse to
 * the same request, so no parse, validation or serialisation is needed to
 * answer it, and any difference in the body (a parameter, a key order, a
 * space) is a miss. On a miss the body stays on the request for the route,
 * which keeps its answer through `keepAnswer`.
 *
 * The body is read here, before admission: with the cache on, a request that
 * admission then refuses has had its body read (bounded by MAX_BODY_BYTES and
 * the server's request timeout).
 */
export function cachedAnswers(cache: ResultCache, maxBodyBytes: number): EarlyAnswer {
  return async (c) => {
    if (c.req.method !== 'POST') return null;
    const match = SEARCH_PATH.exec(c.req.path);
    if (!match) return null;
    let collection: string;
    try {
      collection = decodeURIComponent(match[1]!);
    } catch {
      return null; // the route answers the malformed name
    }
    const batch = match[2] !== undefined;
    const body = await readBodyText(c, maxBodyBytes);
    c.set('rawBody', body);
    const key = `${collection}\n${batch ? 'b' : 's'}\n${hash('sha256', body, 'base64url')}`;
    const start = performance.now();
    const found = await cache.lookup(collection, key);
    if (found.kind === 'hit') {
      c.header('X-Result-Cache', 'hit');
      return serialisedAnswer(c, batch, found.answer, start);
    }
    if (found.kind === 'miss') {
      const { version } = found;
      c.set('keepAnswer', (answer) => cache.keep(collection, key, version, answer));
    }
    c.header('X-Result-Cache', found.kind === 'miss' ? 'miss' : 'bypass');
    return null;
  };
}

/** Milliseconds since `start`, to the microsecond: every route's `tookMs`. */
export function tookMsSince(start: number): number {
  return Math.round((performance.now() - start) * 1000) / 1000;
}

/**
 * A search's answer around its hits already serialised (a hit of the cache, or
 * what a miss keeps): `{"hits":...}` or `{"results":...}` (batch), and tookMs.
 */
export function serialisedAnswer(
  c: Context<AppEnv>,
  batch: boolean,
  answer: string,
  start: number,
): Response {
  return c.body(`{"${batch ? 'results' : 'hits'}":${answer},"tookMs":${tookMsSince(start)}}`, 200, {
    'Content-Type': 'application/json',
  });
}
