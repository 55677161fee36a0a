import { Counter, type Registry } from 'prom-client';

/** The label each figure of a backend's search places gets in /metrics. */
const RAN: Record<string, string> = {
  threads: 'thread',
  loop: 'loop',
  threadFailures: 'thread_failed',
  threadStale: 'thread_stale',
};

/**
 * `vecserve_searches_total{ran}`: where searches ran, read from the backend
 * when Prometheus scrapes (`read` gives totals since start, null when the
 * backend has no search threads: then nothing is exported). A rising `loop`
 * beside search threads means they cannot answer some collection yet.
 */
export function registerSearchPlaces(
  registry: Registry,
  read: () => Readonly<Record<string, number>> | null,
): void {
  let last: Record<string, number> = {};
  new Counter({
    name: 'vecserve_searches_total',
    help: 'Searches by where they ran: thread (a search thread), loop (the event loop), thread_failed and thread_stale (thread answers searched again on the loop)',
    labelNames: ['ran'],
    registers: [registry],
    collect() {
      const now = read();
      if (!now) return;
      for (const [key, total] of Object.entries(now)) {
        const ran = RAN[key];
        if (ran) this.inc({ ran }, Math.max(0, total - (last[key] ?? 0)));
      }
      last = { ...now };
    },
  });
}
