import type { MiddlewareHandler } from 'hono';
import { ForbiddenError, UnauthorizedError } from '../../core/errors.ts';
import type { AppEnv } from '../app-env.ts';
import { neededRole } from '../routes/route-table.ts';
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
  const { keys } = opts;
  // Not async: it only checks, so it adds no promise of its own.
  return function authorize(c, next) {
    const need = neededRole(c.req.method, c.req.path);
    if (need === 'open') return next();
    if (keys.size === 0) {
      if (need !== 'search' && !opts.allowUnauthenticated && !isLocalClient(c, opts.trustProxy))
        throw new ForbiddenError(
          `no API keys are configured, so ${need} routes answer only to clients on this host; configure API_KEYS or API_KEYS_FILE`,
          { needs: need },
        );
      return next();
    }
    const secret = presentedSecret((n) => c.req.header(n));
    if (!secret) {
      c.header('WWW-Authenticate', 'Bearer realm="vecserve"');
      throw new UnauthorizedError(
        'an API key is required: send Authorization: Bearer <key> or X-API-Key: <key>',
      );
    }
    const who = keys.identify(secret);
    if (!who) {
      c.header('WWW-Authenticate', 'Bearer realm="vecserve", error="invalid_token"');
      throw new UnauthorizedError('the API key is not known to this server');
    }
    if (!roleAllows(who.role, need))
      throw new ForbiddenError(`key "${who.name}" has role ${who.role}; this route needs ${need}`, {
        needs: need,
        role: who.role,
      });
    c.set('principal', who.name);
    return next();
  };
}
