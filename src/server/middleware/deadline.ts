import type { MiddlewareHandler } from 'hono';
import { ClientClosedError, DeadlineExceededError } from '../../core/errors.ts';
import type { AppEnv } from '../app-env.ts';
import { nodeBindings } from '../node-bindings.ts';

/**
 * Gives every request a deadline as an AbortSignal (`c.get('signal')`) that
 * routes pass into the backend. The signal also fires when the client
 * disconnects, so abandoned work is cancelled. Past the deadline the client
 * gets a 504 at once, whether or not the backend has noticed the abort.
 *
 * @example app.use('/v1/*', deadline({ timeoutMs: 10_000 }))
 */
export function deadline(opts: { timeoutMs: number }): MiddlewareHandler<AppEnv> {
  const { timeoutMs } = opts;
  return async function deadline(c, next) {
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new DeadlineExceededError(timeoutMs)),
      timeoutMs,
    );
    const onClientGone = () => controller.abort(new ClientClosedError());
    const stopWatching = watchClient(c, onClientGone);
    c.set('signal', controller.signal);
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(controller.signal.reason);
      controller.signal.addEventListener('abort', onAbort, { once: true });
    });
    aborted.catch(() => undefined); // the race below observes it
    try {
      await Promise.race([next(), aborted]);
    } finally {
      clearTimeout(timer);
      stopWatching();
      if (onAbort) controller.signal.removeEventListener('abort', onAbort);
    }
  };
}

/** Calls `onGone` if the client disconnects before the response is complete. */
export function watchClient(c: Parameters<MiddlewareHandler>[0], onGone: () => void): () => void {
  const node = nodeBindings(c);
  if (node) {
    const { outgoing } = node;
    const onClose = () => {
      if (!outgoing.writableFinished) onGone();
    };
    outgoing.once('close', onClose);
    return () => outgoing.off('close', onClose);
  }
  const signal = c.req.raw.signal;
  signal.addEventListener('abort', onGone, { once: true });
  return () => signal.removeEventListener('abort', onGone);
}
