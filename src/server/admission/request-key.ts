import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

export type KeyOf = (c: Context) => string;

/** The quota key of a request: client IP (X-Forwarded-For only when trusted), API key, or one global key. */
export function requestKey(kind: 'ip' | 'api-key' | 'global', trustProxy: boolean): KeyOf {
  const ip = (c: Context): string => {
    if (trustProxy) {
      const forwarded = c.req.header('x-forwarded-for');
      if (forwarded) return forwarded.split(',')[0]!.trim();
    }
    try {
      return getConnInfo(c).remote.address ?? 'unknown';
    } catch {
      return 'unknown'; // app.request() in tests has no socket
    }
  };
  if (kind === 'global') return () => 'global';
  if (kind === 'api-key')
    return (c) => {
      const k = c.req.header('x-api-key');
      return k ? `key:${k}` : `ip:${ip(c)}`;
    };
  return ip;
}
