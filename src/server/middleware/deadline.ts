import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import {
  ClientClosedError,
  DeadlineExceededError,
  RequestTimeoutError,
} from '../../core/errors.ts';
import { type Expiry, ExpiryList } from '../../limits/expiry-list.ts';
import type { AppEnv } from '../app-env.ts';
import { nodeBindings } from '../node-bindings.ts';
import { RequestDeadline } from '../request-deadline.ts';

/**
 * Gives every request a deadline (`c.get('deadline')`) that routes pass into
 * the backend as its signal. It also ends when the client disconnects, so
 * abandoned work is cancelled. Past the deadline the client gets a 504 at
 * once, whether or not the backend has noticed the abort.
 *
 * @example app.use('/v1/*', deadline({ timeoutMs: 10_000 }))
 */
export function deadline(opts: { timeoutMs: number }): MiddlewareHandler<AppEnv> {
  const deadlines = new ExpiryList(opts.timeoutMs);
  return function deadline(c, next) {
    return runWithDeadline(c, next, deadlines);
  };
}

/**
 * Runs `run` (the rest of the request) under a deadline from `deadlines`: see
 * `deadline`. The expiry and the disconnect watcher settle the request's
 * promise themselves, with no listener on a signal and no second promise to
 * race (a tenth of a search request's CPU in a profile).
 */
export function runWithDeadline(
  c: Context<AppEnv>,
  run: () => Promise<void>,
  deadlines: ExpiryList,
): Promise<void> {
  const d = new RequestDeadline();
  c.set('deadline', d);
  const node = nodeBindings(c);
  return runUnderDeadline(
    d,
    deadlines,
    node?.incoming ?? null,
    (onGone) => watchClient(c, onGone),
    run,
  );
}

/**
 * The deadline's core, on Node's request alone (the search route served off
 * Hono's dispatch uses it too): `run` settles the promise, unless the expiry
 * (408 or 504, see `expired`) or the client leaving (`watch`) does first;
 * either ends `d`, which the work sees.
 */
export function runUnderDeadline<T>(
  d: RequestDeadline,
  deadlines: ExpiryList,
  incoming: IncomingMessage | null,
  watch: (onGone: () => void) => () => void,
  run: () => Promise<T>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let expiry: Expiry | null = null;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      expiry?.cancel();
      stopWatching();
      return true;
    };
    const fail = (reason: Error) => {
      if (!settle()) return;
      d.end(reason);
      reject(reason);
    };
    expiry = deadlines.add(() => fail(expired(incoming, deadlines.ttlMs)));
    const stopWatching = watch(() => fail(new ClientClosedError()));
    run().then(
      (value) => {
        if (settle()) resolve(value);
      },
      (err: unknown) => {
        if (settle()) reject(err);
      },
    );
  });
}

/**
 * Why a request ran out of time: its body still coming in, with nothing left
 * unread (the client stalled mid-upload), is the client's 408; anything
 * else is the server's 504.
 */
function expired(incoming: IncomingMessage | null, timeoutMs: number): Error {
  if (incoming && !incoming.complete && incoming.readableLength === 0)
    return new RequestTimeoutError(timeoutMs);
  return new DeadlineExceededError(timeoutMs);
}

/** Calls `onGone` if the client disconnects before the response is complete. */
export function watchClient(c: Context, onGone: () => void): () => void {
  const node = nodeBindings(c);
  if (node) return watchResponse(node.outgoing, onGone);
  const signal = c.req.raw.signal;
  signal.addEventListener('abort', onGone, { once: true });
  return () => signal.removeEventListener('abort', onGone);
}

/** `watchClient` on Node's response: `onGone` if it closes before it is complete. */
export function watchResponse(outgoing: ServerResponse, onGone: () => void): () => void {
  const onClose = () => {
    if (!outgoing.writableFinished) onGone();
  };
  outgoing.on('close', onClose);
  return () => outgoing.removeListener('close', onClose);
}
