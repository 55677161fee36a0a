/**
 * admission-micro — the cost of one admission decision, per limiter, in
 * nanoseconds (target: under 1 microsecond). Each limiter is timed over
 * millions of decisions, spread over 1,000 keys (LRU hits) and on one key;
 * best of 5 rounds, after a warm-up. Writes bench/results/admission-micro.json.
 */

import { VegasLimit } from '../../src/limits/adaptive-limit.ts';
import { OverloadedError, refusal } from '../../src/limits/admission-errors.ts';
import { CircuitBreaker } from '../../src/limits/circuit-breaker.ts';
import { ConcurrencyLimiter } from '../../src/limits/concurrency-limiter.ts';
import { LeakyBucket } from '../../src/limits/leaky-bucket.ts';
import type { RateLimiter } from '../../src/limits/rate-limiter.ts';
import { SlidingWindowCounter, SlidingWindowLog } from '../../src/limits/sliding-window.ts';
import { TokenBucket } from '../../src/limits/token-bucket.ts';
import { type Command, num, type Values } from '../harness/command-line.ts';
import { envelope } from '../harness/envelope.ts';
import type { AdmissionMicroRun } from '../harness/result.ts';

/** the cost of one admission decision, per limiter (ns). */
export const admissionMicroCommand: Command = {
  name: 'admission-micro',
  summary: 'the cost of one admission decision, per limiter (ns)',
  thresholds: false,
  defaultOut: () => 'bench/results/admission-micro.json',
  options: {
    n: { type: 'string', default: '2000000', help: 'decisions per round' },
  },
  run: (values) => runAdmissionMicro(values),
};

async function runAdmissionMicro(values: Values): Promise<AdmissionMicroRun> {
  const N = num(values, 'n');
  const keys = Array.from({ length: 1000 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);

  /** For decisions that settle promises: batches, letting microtasks drain in between (timed too). */
  async function bestAsync(step: () => void, rounds = 5, batch = 10_000): Promise<number> {
    const run = async () => {
      for (let i = 0; i < N; i += batch) {
        for (let j = 0; j < batch; j++) step();
        await new Promise<void>((r) => setImmediate(r));
      }
    };
    await run();
    let min = Number.POSITIVE_INFINITY;
    for (let r = 0; r < rounds; r++) {
      const t0 = process.hrtime.bigint();
      await run();
      min = Math.min(min, Number(process.hrtime.bigint() - t0) / N);
    }
    return Math.round(min * 10) / 10;
  }

  function best(fn: () => void, rounds = 5): number {
    fn(); // warm-up (JIT)
    let min = Number.POSITIVE_INFINITY;
    for (let r = 0; r < rounds; r++) {
      const t0 = process.hrtime.bigint();
      fn();
      min = Math.min(min, Number(process.hrtime.bigint() - t0) / N);
    }
    return Math.round(min * 10) / 10;
  }

  // High limits: we time the decision, allowed or not, not the denial path alone.
  const limiters: (() => RateLimiter)[] = [
    () => new TokenBucket({ ratePerSecond: 1e6, burst: 1e6 }),
    () => new LeakyBucket({ ratePerSecond: 1e6, capacity: 1e6 }),
    () => new SlidingWindowCounter({ limit: 1_000_000 }),
    () => new SlidingWindowLog({ limit: 100 }),
  ];
  const rows: { decision: string; keys: number; nsPerDecision: number }[] = [];
  let sink = 0;
  for (const make of limiters) {
    for (const spread of [1000, 1]) {
      const limiter = make();
      const ns = best(() => {
        for (let i = 0; i < N; i++) if (limiter.take(keys[i % spread]!).allowed) sink++;
      });
      rows.push({ decision: `${limiter.name}.take`, keys: spread, nsPerDecision: ns });
    }
  }

  // Concurrency limiter, the synchronous decision the middleware makes first.
  const sync = new ConcurrencyLimiter({ limit: 1_000_000, maxQueue: 0 });
  rows.push({
    decision: 'concurrency tryAcquire+release (free slot)',
    keys: 1,
    nsPerDecision: best(() => {
      for (let i = 0; i < N; i++) sync.tryAcquire()?.release();
    }),
  });
  const busy = new ConcurrencyLimiter({ limit: 1, maxQueue: 0 });
  busy.tryAcquire();
  rows.push({
    decision: 'concurrency decision: no slot, refuse (tryAcquire + wouldRefuse)',
    keys: 1,
    nsPerDecision: best(() => {
      for (let i = 0; i < N; i++) if (busy.tryAcquire() === null && busy.wouldRefuse) sink++;
    }),
  });
  rows.push({
    decision: 'building the refusal error (no stack)',
    keys: 1,
    nsPerDecision: best(() => {
      for (let i = 0; i < N; i++)
        if (refusal(() => new OverloadedError('queue_full', 'server busy')).reason) sink++;
    }),
  });
  rows.push({
    decision: 'building the refusal error (with stack, for comparison)',
    keys: 1,
    nsPerDecision: best(() => {
      for (let i = 0; i < N; i++)
        if (new OverloadedError('queue_full', 'server busy').reason) sink++;
    }),
  });
  // The async API: a settled promise per call.
  const fixed = new ConcurrencyLimiter({ limit: 1_000_000, maxQueue: 0 });
  rows.push({
    decision: 'concurrency acquire+release (free slot)',
    keys: 1,
    nsPerDecision: await bestAsync(() => {
      fixed.acquire().then((p) => p.release());
    }),
  });
  // Refusal path: the limit is reached, the queue is full.
  const full = new ConcurrencyLimiter({ limit: 1, maxQueue: 0 });
  full.acquire();
  rows.push({
    decision: 'concurrency refusal (limit reached)',
    keys: 1,
    nsPerDecision: await bestAsync(() => {
      full.acquire().catch(() => sink++);
    }),
  });
  const vegas = new VegasLimit();
  rows.push({
    decision: 'vegas onSample',
    keys: 1,
    nsPerDecision: best(() => {
      for (let i = 0; i < N; i++) vegas.onSample(5 + (i % 7), 10, false);
    }),
  });
  const breaker = new CircuitBreaker({ mode: { kind: 'consecutive', threshold: 5 } });
  rows.push({
    decision: 'breaker state check (closed)',
    keys: 1,
    nsPerDecision: best(() => {
      for (let i = 0; i < N; i++) if (breaker.state.kind === 'closed') sink++;
    }),
  });

  return {
    ...envelope('admission-micro', values, null, 'ns per decision'),
    decisionsPerRound: N,
    results: rows,
    sink,
  };
}
