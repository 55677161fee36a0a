/** Milliseconds, monotonic. Injected everywhere so limiters are tested without sleeps. */
export type Clock = () => number;

export const monotonicClock: Clock = () => performance.now();
