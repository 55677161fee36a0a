import type { MiddlewareHandler } from 'hono';
import type { EventLoopGuard } from '../../limits/event-loop-guard.ts';

/**
 * Refuses with 503 while the event loop is behind, before the request body is
 * read or parsed (Node drains an unread body after the response by itself).
 */
export function eventLoopGuard(opts: { guard: EventLoopGuard }): MiddlewareHandler {
  const { guard } = opts;
  return async function eventLoopGuard(_c, next) {
    guard.check();
    await next();
  };
}
