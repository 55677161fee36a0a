/**
 * Errors one backend call hands to several callers: a micro-batch rejects
 * every search it carried with the same error. A circuit breaker counts such
 * a failure once, not once per caller.
 */
const SHARED = new WeakSet<object>();

/** Marks `err` as one call's failure fanned out to several callers; returns it. */
export function sharedFailure<E>(err: E): E {
  if (err !== null && typeof err === 'object') SHARED.add(err);
  return err;
}

export function isSharedFailure(err: unknown): err is object {
  return err !== null && typeof err === 'object' && SHARED.has(err);
}
