import type { Role } from './api-keys.ts';

/** 'open': answers anyone (probes); otherwise the least role a route needs. */
export type Need = Role | 'open';

/**
 * The role each route needs: search routes and reading collection metadata
 * need `search`; vector writes and deletes `write`; creating and dropping
 * collections, /v1/stats and /metrics `admin`. A path not listed needs
 * nothing here (it is a 404 or 405 anyway).
 */
export function neededRole(method: string, path: string): Need {
  if (path === '/healthz' || path === '/readyz') return 'open';
  if (path === '/openapi.json' || path === '/docs') return 'open';
  if (path === '/metrics' || path === '/v1/stats') return 'admin';
  if (/^\/v1\/collections\/?$/.test(path)) return method === 'POST' ? 'admin' : 'search';
  if (/^\/v1\/collections\/[^/]+\/?$/.test(path)) return method === 'DELETE' ? 'admin' : 'search';
  if (/^\/v1\/collections\/[^/]+\/vectors\/?$/.test(path)) return 'write';
  if (/^\/v1\/collections\/[^/]+\/search(\/batch)?\/?$/.test(path)) return 'search';
  return 'open';
}
