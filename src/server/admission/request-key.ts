import type { Context } from 'hono';
import { clientAddress } from '../auth/client-address.ts';

export type KeyOf = (c: Context) => string;

/**
 * The quota key of a request: the client address (as the trusted front door
 * saw it), the API key's name (never the key; unauthenticated requests by
 * address), or one global key.
 */
export function requestKey(kind: 'ip' | 'api-key' | 'global', trustProxy: boolean): KeyOf {
  const ip = (c: Context): string => clientAddress(c, trustProxy);
  if (kind === 'global') return () => 'global';
  if (kind === 'api-key')
    return (c) => {
      const name = c.get('principal') as string | undefined;
      return name ? `key:${name}` : `ip:${ip(c)}`;
    };
  return ip;
}
