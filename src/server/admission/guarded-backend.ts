import type { SearchBackend } from '../../backends/search-backend.ts';
import type { CallOptions, CircuitBreaker } from '../../limits/circuit-breaker.ts';

/**
 * The backend behind the admission breaker: every call the backend really
 * makes is counted, and nothing else is. A client that disconnects, uploads
 * too slowly or sends a bad body never reaches these calls, or fails with an
 * error the breaker does not count (client_closed, 4xx codes), so clients
 * cannot open the breaker for everyone. Only data calls (search, write,
 * delete, flush) are counted. `health` is not guarded: readiness and the
 * probe that ends an open period must reach the real backend.
 */
export function guardBackend(backend: SearchBackend, breaker: CircuitBreaker): SearchBackend {
  // The call's own signal lets the breaker tell a client that left from a deadline that passed.
  const guarded =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>, opts: CallOptions = {}) =>
    (...args: A): Promise<R> => {
      const last = args[args.length - 1] as { signal?: AbortSignal } | undefined;
      const signal = typeof last === 'object' && last !== null ? last.signal : undefined;
      return breaker.execute(() => fn.apply(backend, args), signal, opts);
    };
  const refused = (): Promise<never> | null => {
    try {
      breaker.refuseIfOpen();
      return null;
    } catch (err) {
      return Promise.reject(err);
    }
  };
  return {
    kind: backend.kind,
    honoursAbort: backend.honoursAbort,
    // Metadata calls are not counted: a cached schema answering would reset a
    // streak of failing searches. They are refused while the breaker is open,
    // so none waits on a backend known to be down (half-open, only trial
    // requests get this far, under their short deadline).
    listCollections: (opts) => refused() ?? backend.listCollections(opts),
    describe: (name, opts) => refused() ?? backend.describe(name, opts),
    schema: (name, opts) => refused() ?? backend.schema(name, opts),
    createCollection: (spec, opts) => refused() ?? backend.createCollection(spec, opts),
    dropCollection: (name, opts) => refused() ?? backend.dropCollection(name, opts),
    // A search stuck on a stalled backend is refused at once (a read: nothing is left half done);
    // a write waits for its own outcome, so a client is never told "not stored" for a write
    // that may still land.
    search: guarded(backend.search, { abandonable: true }),
    write: guarded(backend.write),
    delete: guarded(backend.delete),
    flush: guarded(backend.flush),
    health: (opts) => backend.health(opts),
    connections: () => backend.connections?.() ?? null,
    searchPlaces: () => backend.searchPlaces?.() ?? null,
    close: () => backend.close(),
  };
}
