import { round } from '../../../../src/core/statistics.ts';
import { judge, partialSloView } from '../../analysis/slo-rule.ts';
import type { ThresholdVerdict } from '../../analysis/threshold-report.ts';
import type { ResultKind } from '../../result-kind.ts';
import { type FloorRun, floorRunSchema } from './result.ts';

export const floorKind: ResultKind<FloorRun> = {
  kind: 'floor',
  describe:
    'The serving path against its floor (bare node:http), the cluster shapes and Python stacks.',
  schema: floorRunSchema,
  tables(run) {
    return [
      {
        title: `the serving path against its floor (${run.generator}, median of ${run.rounds} rounds of ${run.seconds} s)`,
        rows: run.summary.map((r) => ({
          configuration: r.config,
          what: r.describe,
          'ok/s': r.okPerSecond,
          'ok/s range': r.okPerSecondRange.join('-'),
          'x floor': r.okOverFloor,
          'CPU ms/req': r.cpuMsPerRequest,
          'CPU x floor': r.cpuOverFloor,
          'p99 ms': r.p99Ms,
          'same answers': r.sameAnswersAsFloor,
        })),
        notes: run.targets.map((t) => `${t.pass ? 'PASS' : 'FAIL'} ${t.target}: ${t.measured}`),
      },
      {
        title: 'one connection (latency unloaded)',
        rows: run.latencyAtC1.map((r) => ({
          configuration: r.config,
          round: r.round,
          'ok/s': r.okPerSecond,
          'p50 ms': r.p50Ms,
          'p99 ms': r.p99Ms,
          'mean ms': round(r.meanMs),
        })),
      },
      {
        title: 'every measurement (rounds alternate the configurations)',
        rows: run.rows.map((r) => ({
          configuration: r.config,
          round: r.round,
          processes: r.processes,
          'ok/s': r.okPerSecond,
          'CPU ms/req': r.cpuMsPerRequest,
          'server CPU': `${r.serverCpuPercent}%`,
          'wrk CPU': `${r.generatorCpuPercent}%`,
          'p50 ms': r.p50Ms,
          'p99 ms': r.p99Ms,
          'non-2xx': r.non2xx,
          'socket errors': r.socketErrors,
        })),
      },
    ];
  },
  thresholds(run, terms) {
    const verdicts: ThresholdVerdict[] = [];
    for (const r of run.rows)
      verdicts.push({
        scope: `${r.config} round ${r.round}`,
        verdict: judge(
          terms,
          partialSloView(
            { p50: r.p50Ms, p99: r.p99Ms },
            (r.non2xx + r.socketErrors) / Math.max(1, r.okPerSecond * run.seconds + r.non2xx),
          ),
        ),
      });
    return verdicts;
  },
};
