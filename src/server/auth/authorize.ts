import type { MiddlewareHandler } from 'hono';
import { ForbiddenError, type ServiceError, UnauthorizedError } from '../../core/errors.ts';
import type { AppEnv } from '../app-env.ts';
import { type Need, neededRole } from '../routes/route-table.ts';
import { type ApiKeys, roleAllows } from './api-keys.ts';
import { isLocalClient } from './client-address.ts';

export interface AuthorizeOptions {
  keys: ApiKeys;
  trustProxy: boolean;
  /** ALLOW_UNAUTHENTICATED: with no keys, write and admin routes answer anyone (explicit opt-out). */
  allowUnauthenticated: boolean;
}

/** `Authorization: Bearer <secret>` or `X-API-Key: <secret>`. */
function presentedSecret(header: (name: string) => string | undefined): string | undefined {
  const auth = header('authorization');
  if (auth !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m ? m[1] : '';
  }
  return header('x-api-key');
}

/**
 * API keys with roles, decided from the headers before anything else (and
 * before the body is read). With keys: 401 without a known key, 403 when its
 * role is short. Without keys (secure by default): search routes answer
 * anyone, write and admin routes only local clients (see isLocalClient),
 * unless the operator opted out. The key's name, never the key, is kept for
 * logs and rate limiting (`c.get('principal')`).
 */
export function authorize(opts: AuthorizeOptions): MiddlewareHandler<AppEnv> {
  // Not async: it only checks, so it adds no promise of its own.
  return function authorize(c, next) {
    const access = accessFor(
      opts,
      neededRole(c.req.method, c.req.path),
      (n) => c.req.header(n),
      () => isLocalClient(c, opts.trustProxy),
    );
    if (!access.ok) {
      if (access.wwwAuthenticate) c.header('WWW-Authenticate', access.wwwAuthenticate);
      throw access.error;
    }
    if (access.principal) c.set('principal', access.principal);
    return next();
  };
}

/** What `authorize` decides, from the headers alone: the caller's key name, or why not. */
export type Access =
  | { ok: true; principal?: string }
  | { ok: false; error: ServiceError; wwwAuthenticate?: string };

/** `authorize` as a plain function (the search route served off Hono's dispatch asks it too). */
export function accessFor(
  opts: AuthorizeOptions,
  need: Need,
  header: (name: string) => string | undefined,
  isLocal: () => boolean,
): Access {
  const { keys } = opts;
  if (need === 'open') return { ok: true };
  if (keys.size === 0) {
    if (need !== 'search' && !opts.allowUnauthenticated && !isLocal())
      return {
        ok: false,
        error: new ForbiddenError(
          `no API keys are configured, so ${need} routes answer only to clients on this host; configure API_KEYS or API_KEYS_FILE`,
          { needs: need },
        ),
      };
    return { ok: true };
  }
  const secret = presentedSecret(header);
  if (!secret)
    return {
      ok: false,
      wwwAuthenticate: 'Bearer realm="vecserve"',
      error: new UnauthorizedError(
        'an API key is required: send Authorization: Bearer <key> or X-API-Key: <key>',
      ),
    };
  const who = keys.identify(secret);
  if (!who)
    return {
      ok: false,
      wwwAuthenticate: 'Bearer realm="vecserve", error="invalid_token"',
      error: new UnauthorizedError('the API key is not known to this server'),
    };
  if (!roleAllows(who.role, need))
    return {
      ok: false,
      error: new ForbiddenError(
        `key "${who.name}" has role ${who.role}; this route needs ${need}`,
        {
          needs: need,
          role: who.role,
        },
      ),
    };
  return { ok: true, principal: who.name };
}
