/** Milliseconds, monotonic. Injected everywhere so limiters are tested without sleeps. */
export type Clock = () => number;

export const monotonicClock: Clock = () => performance.now();

/** Milliseconds of CPU this process has used (all its threads). */
export type CpuClock = () => number;

export const processCpuMs: CpuClock = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
