import type { Server, ServerResponse } from 'node:http';

/**
 * Gunicorn's `max_requests` + `max_requests_jitter`: after a threshold drawn
 * once per worker from [limit, limit + jitter], call `retire` (once), right
 * after the response that reached it has been written, so nothing in flight is
 * cut. The jitter staggers workers so they do not all retire together.
 */
export function retireAfterRequests(
  servers: Server | Server[],
  opts: { limit: number; jitter: number; retire: () => void; random?: () => number },
): { readonly threshold: number; readonly count: number } {
  const random = opts.random ?? Math.random;
  const threshold = opts.limit + Math.floor(random() * (opts.jitter + 1));
  let count = 0;
  let fired = false;
  const state = {
    threshold,
    get count() {
      return count;
    },
  };
  if (opts.limit <= 0) return state;
  const onRequest = (_req: unknown, res: ServerResponse) => {
    count += 1;
    if (count < threshold || fired) return;
    fired = true;
    res.once('finish', () => setImmediate(opts.retire));
  };
  for (const server of Array.isArray(servers) ? servers : [servers])
    server.on('request', onRequest);
  return state;
}
