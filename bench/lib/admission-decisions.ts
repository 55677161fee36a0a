/**
 * The admission decisions whose cost matters per request, each as one step
 * to time. Two runners use the one table: the `admission-micro` experiment
 * (best of 5 rounds, written to bench/results/) and Vitest's `bench()` in
 * test/limits/admission-decisions.bench.ts (`npm run bench:micro`).
 */
import { VegasLimit } from '../../src/limits/adaptive-limit.ts';
import { OverloadedError, refusal } from '../../src/limits/admission-errors.ts';
import { CircuitBreaker } from '../../src/limits/circuit-breaker.ts';
import { ConcurrencyLimiter } from '../../src/limits/concurrency-limiter.ts';
import { LeakyBucket } from '../../src/limits/leaky-bucket.ts';
import type { RateLimiter } from '../../src/limits/rate-limiter.ts';
import { SlidingWindowCounter, SlidingWindowLog } from '../../src/limits/sliding-window.ts';
import { TokenBucket } from '../../src/limits/token-bucket.ts';

export interface Decision {
  /** What one step decides, e.g. `token-bucket.take`. */
  decision: string;
  /** Distinct keys the steps spread over (LRU hits), 1 for keyless decisions. */
  keys: number;
  /** One decision; a promise when the decision settles one (timed with its microtasks). */
  step: () => unknown;
  async?: boolean;
}

/** Read by nobody: steps count here so the JIT cannot drop their work. */
export const sink = { count: 0 };

/** A fresh set of limiters and the decisions on them (state is per call). */
export function admissionDecisions(): Decision[] {
  const keys = Array.from({ length: 1000 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
  const out: Decision[] = [];
  // High limits: the decision is timed, allowed or not, not the denial path alone.
  const limiters: (() => RateLimiter)[] = [
    () => new TokenBucket({ ratePerSecond: 1e6, burst: 1e6 }),
    () => new LeakyBucket({ ratePerSecond: 1e6, capacity: 1e6 }),
    () => new SlidingWindowCounter({ limit: 1_000_000 }),
    () => new SlidingWindowLog({ limit: 100 }),
  ];
  for (const make of limiters) {
    for (const spread of [1000, 1]) {
      const limiter = make();
      let i = 0;
      out.push({
        decision: `${limiter.name}.take`,
        keys: spread,
        step: () => {
          if (limiter.take(keys[i++ % spread]!).allowed) sink.count++;
        },
      });
    }
  }
  // The concurrency limiter's synchronous decision, the one the middleware makes first.
  const free = new ConcurrencyLimiter({ limit: 1_000_000, maxQueue: 0 });
  out.push({
    decision: 'concurrency tryAcquire+release (free slot)',
    keys: 1,
    step: () => free.tryAcquire()?.release(),
  });
  const busy = new ConcurrencyLimiter({ limit: 1, maxQueue: 0 });
  busy.tryAcquire();
  out.push({
    decision: 'concurrency decision: no slot, refuse (tryAcquire + wouldRefuse)',
    keys: 1,
    step: () => {
      if (busy.tryAcquire() === null && busy.wouldRefuse) sink.count++;
    },
  });
  out.push({
    decision: 'building the refusal error (no stack)',
    keys: 1,
    step: () => {
      if (refusal(() => new OverloadedError('queue_full', 'server busy')).reason) sink.count++;
    },
  });
  out.push({
    decision: 'building the refusal error (with stack, for comparison)',
    keys: 1,
    step: () => {
      if (new OverloadedError('queue_full', 'server busy').reason) sink.count++;
    },
  });
  // The async API: a settled promise per call.
  const fixed = new ConcurrencyLimiter({ limit: 1_000_000, maxQueue: 0 });
  out.push({
    decision: 'concurrency acquire+release (free slot)',
    keys: 1,
    async: true,
    step: () => fixed.acquire().then((p) => p.release()),
  });
  // The refusal path: the limit is reached and the queue is full.
  const full = new ConcurrencyLimiter({ limit: 1, maxQueue: 0 });
  full.acquire();
  out.push({
    decision: 'concurrency refusal (limit reached)',
    keys: 1,
    async: true,
    step: () => full.acquire().catch(() => sink.count++),
  });
  const vegas = new VegasLimit();
  let sample = 0;
  out.push({
    decision: 'vegas onSample',
    keys: 1,
    step: () => vegas.onSample(5 + (sample++ % 7), 10, false),
  });
  const breaker = new CircuitBreaker({ mode: { kind: 'consecutive', threshold: 5 } });
  out.push({
    decision: 'breaker state check (closed)',
    keys: 1,
    step: () => {
      if (breaker.state.kind === 'closed') sink.count++;
    },
  });
  return out;
}
