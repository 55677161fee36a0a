import type { CircuitBreaker } from './circuit-breaker.ts';

/**
 * While the breaker is open, asks `probe` every `intervalMs` whether the
 * backend answers again; the first yes ends the open period at once
 * (half-open trials follow). Recovery then follows the end of an outage by
 * about one interval, however long the outage and its backoff grew.
 * Returns a function that stops probing for good.
 *
 * @example probeWhileOpen(breaker, async () => (await backend.health()).ok, 1000)
 */
export function probeWhileOpen(
  breaker: CircuitBreaker,
  probe: () => Promise<boolean>,
  intervalMs: number,
): () => void {
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const tick = async () => {
    timer = null;
    if (stopped || breaker.state.kind !== 'open') return;
    let ok = false;
    try {
      ok = await probe();
    } catch {
      ok = false;
    }
    if (ok) breaker.probeSucceeded();
    else schedule();
  };
  const schedule = () => {
    if (stopped || timer) return;
    timer = setTimeout(tick, intervalMs);
    timer.unref();
  };
  const off = breaker.onStateChange((s) => {
    if (s.kind === 'open') schedule();
  });
  return () => {
    stopped = true;
    off();
    if (timer) clearTimeout(timer);
  };
}
