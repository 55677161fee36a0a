/**
 * admission-micro — the cost of one admission decision, per limiter, in
 * nanoseconds (target: under 1 microsecond). Each decision of
 * bench/lib/admission-decisions.ts (the table Vitest's bench() also runs:
 * `npm run bench:micro`) is timed over millions of steps, spread over 1,000
 * keys (LRU hits) and on one key; best of 5 rounds, after a warm-up. Writes
 * bench/results/admission-micro.json.
 */

import { type Command, num, type Values } from '../../harness/command-line.ts';
import { envelope } from '../../harness/envelope.ts';
import { admissionDecisions, sink } from '../../lib/admission-decisions.ts';
import type { AdmissionMicroRun } from './result.ts';

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

  /** For decisions that settle promises: batches, letting microtasks drain in between (timed too). */
  async function bestAsync(step: () => unknown, rounds = 5, batch = 10_000): Promise<number> {
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

  function best(step: () => unknown, rounds = 5): number {
    const run = () => {
      for (let i = 0; i < N; i++) step();
    };
    run(); // warm-up (JIT)
    let min = Number.POSITIVE_INFINITY;
    for (let r = 0; r < rounds; r++) {
      const t0 = process.hrtime.bigint();
      run();
      min = Math.min(min, Number(process.hrtime.bigint() - t0) / N);
    }
    return Math.round(min * 10) / 10;
  }

  const rows: { decision: string; keys: number; nsPerDecision: number }[] = [];
  for (const d of admissionDecisions()) {
    const nsPerDecision = d.async ? await bestAsync(d.step) : best(d.step);
    rows.push({ decision: d.decision, keys: d.keys, nsPerDecision });
  }
  return {
    ...envelope('admission-micro', values, null, 'ns per decision'),
    decisionsPerRound: N,
    results: rows,
    sink: sink.count,
  };
}
