/**
 * The API's routes in one table: which methods each path answers (405 +
 * Allow for another; HEAD goes wherever GET does) and the least role each
 * needs ('open' for probes and the API description). The OpenAPI document
 * takes its roles from here too; a test checks the table against the app's
 * own routing and the document.
 */
import type { Role } from '../auth/api-keys.ts';

/** 'open': answers anyone; otherwise the least role a route needs. */
export type Need = Role | 'open';

export interface RouteSpec {
  method: 'GET' | 'POST' | 'DELETE';
  /** With `{name}` for a collection name. */
  path: string;
  need: Need;
}

export const ROUTE_TABLE: readonly RouteSpec[] = [
  { method: 'GET', path: '/healthz', need: 'open' },
  { method: 'GET', path: '/readyz', need: 'open' },
  { method: 'GET', path: '/openapi.json', need: 'open' },
  { method: 'GET', path: '/docs', need: 'open' },
  { method: 'GET', path: '/metrics', need: 'admin' },
  { method: 'GET', path: '/v1/stats', need: 'admin' },
  { method: 'GET', path: '/v1/collections', need: 'search' },
  { method: 'POST', path: '/v1/collections', need: 'admin' },
  { method: 'GET', path: '/v1/collections/{name}', need: 'search' },
  { method: 'DELETE', path: '/v1/collections/{name}', need: 'admin' },
  { method: 'POST', path: '/v1/collections/{name}/search', need: 'search' },
  { method: 'POST', path: '/v1/collections/{name}/search/batch', need: 'search' },
  { method: 'POST', path: '/v1/collections/{name}/vectors', need: 'write' },
  { method: 'DELETE', path: '/v1/collections/{name}/vectors', need: 'write' },
];

const COMPILED = ROUTE_TABLE.map((r) => ({
  ...r,
  pattern: new RegExp(`^${r.path.replace(/\./g, '\\.').replace('{name}', '[^/]+')}/?$`),
}));

/** The methods `path` answers, or null for a path the API does not have. */
export function allowedMethods(path: string): readonly string[] | null {
  const methods = COMPILED.filter((r) => r.pattern.test(path)).flatMap((r) =>
    r.method === 'GET' ? ['GET', 'HEAD'] : [r.method],
  );
  return methods.length > 0 ? methods : null;
}

/**
 * The route template of `method path` as Hono names it (`/v1/collections/:name/search`),
 * for metric labels of requests answered before routing; 'unmatched' when none.
 */
export function routeTemplate(method: string, path: string): string {
  const m = method === 'HEAD' ? 'GET' : method;
  const r = COMPILED.find((x) => x.method === m && x.pattern.test(path));
  return r ? r.path.replace('{name}', ':name') : 'unmatched';
}

/** The role `method path` needs; a route not in the table is 'open' here (it is a 404 or 405). */
export function neededRole(method: string, path: string): Need {
  const m = method === 'HEAD' ? 'GET' : method;
  return COMPILED.find((r) => r.method === m && r.pattern.test(path))?.need ?? 'open';
}

/** The role of a route of the table, by method and template path. */
export function roleOf(method: string, path: string): Need {
  const r = ROUTE_TABLE.find((x) => x.method === method.toUpperCase() && x.path === path);
  if (!r) throw new Error(`${method} ${path} is not in the route table`);
  return r.need;
}
