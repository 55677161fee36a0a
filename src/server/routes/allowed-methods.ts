/**
 * The methods each path of the API answers, for 405 + Allow when a known path
 * is called with another method (a HEAD goes wherever a GET does). Kept next
 * to the routes; a test checks it against the app's own routing.
 */
const ROUTES: { pattern: RegExp; methods: readonly string[] }[] = [
  { pattern: /^\/(healthz|readyz|metrics|openapi\.json|docs)$/, methods: ['GET', 'HEAD'] },
  { pattern: /^\/v1\/stats$/, methods: ['GET', 'HEAD'] },
  { pattern: /^\/v1\/collections\/?$/, methods: ['GET', 'HEAD', 'POST'] },
  { pattern: /^\/v1\/collections\/[^/]+\/?$/, methods: ['GET', 'HEAD', 'DELETE'] },
  { pattern: /^\/v1\/collections\/[^/]+\/search\/?$/, methods: ['POST'] },
  { pattern: /^\/v1\/collections\/[^/]+\/search\/batch\/?$/, methods: ['POST'] },
  { pattern: /^\/v1\/collections\/[^/]+\/vectors\/?$/, methods: ['POST', 'DELETE'] },
];

/** The methods `path` answers, or null for a path the API does not have. */
export function allowedMethods(path: string): readonly string[] | null {
  for (const r of ROUTES) if (r.pattern.test(path)) return r.methods;
  return null;
}
