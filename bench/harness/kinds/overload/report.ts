import { judge, partialSloView } from '../../analysis/slo-rule.ts';
import type { ThresholdVerdict } from '../../analysis/threshold-report.ts';
import type { ResultKind } from '../../result-kind.ts';
import { type OverloadRun, overloadRunSchema } from './result.ts';

export const overloadKind: ResultKind<OverloadRun> = {
  kind: 'overload',
  describe: 'Admission control at N x capacity: each configuration unloaded, flooded, recovering.',
  schema: overloadRunSchema,
  tables(run) {
    return [
      {
        title: `${run.backend}${run.via ? `, ${run.via}` : ''}: capacity ${run.capacityPerSecond}/s, offered ${run.overloadFactor ?? '?'}x`,
        rows: run.results.map((r) => ({
          configuration: r.configuration,
          goodput:
            r.goodput !== undefined
              ? `${Math.round(r.goodput * 100)}%`
              : `${Math.round((r.overload.admittedPerSecond / run.capacityPerSecond) * 100)}%`,
          'of floor ceiling':
            r.goodputOfCeiling === undefined || r.goodputOfCeiling === null
              ? '-'
              : `${Math.round(r.goodputOfCeiling * 100)}%`,
          'server busy': r.serverCpu ? `${Math.round(r.serverCpu.busyShare * 100)}%` : '-',
          'us/refusal (est.)': r.serverCpu?.refusalCpuUsEstimate ?? '-',
          'unloaded p99 ms': r.unloaded.admittedMs.p99,
          'admitted/s': r.overload.admittedPerSecond,
          'admitted p99 ms': r.overload.admittedMs.p99,
          'x unloaded': r.admittedP99OverUnloadedP99,
          refused: r.overload.rejected,
          'refused p99 ms': r.overload.rejectedMs.p99,
          'after 1st s (adm/ref p99)': r.overload.afterFirstSecond
            ? `${r.overload.afterFirstSecond.admittedMs.p99} / ${r.overload.afterFirstSecond.rejectedMs.p99}`
            : '-',
          errors: JSON.stringify(r.overload.otherOutcomes),
          'offered/s':
            r.overload.offeredPerSecond ?? Math.round(r.overload.offered / run.secondsPerRun),
          'sent/s': r.overload.achievedSendRate,
          'p99 back after s': r.recovery?.seconds ?? '-',
        })),
        notes: [
          ...(run.refusalFloor
            ? [
                `refusal floor (bare node:http answering 503): ${run.refusalFloor.cpuUsPerRefusal} us of CPU per refusal; at that cost a server keeps at most ${Math.round(run.refusalFloor.goodputCeiling * 100)}% of capacity at ${run.overloadFactor}x`,
              ]
            : []),
          ...run.results.map((r) => {
            const failed = Object.entries(r.targets ?? {}).filter(([, ok]) => !ok);
            return `${r.configuration}: ${r.targets === undefined ? 'targets not recorded' : failed.length === 0 ? 'every target met' : `not met: ${failed.map(([k]) => k).join(', ')}`}${r.limitedBy ? `; sent less than asked, limited by ${r.limitedBy}` : ''}`;
          }),
        ],
      },
    ];
  },
  thresholds(run, terms) {
    const verdicts: ThresholdVerdict[] = [];
    // The flood phase of each configuration: admitted latency, and anything but 200/429/503 as errors.
    for (const r of run.results) {
      const o = r.overload;
      const other = Object.values(o.otherOutcomes).reduce((a, b) => a + b, 0);
      verdicts.push({
        scope: r.configuration,
        verdict: judge(terms, partialSloView(o.admittedMs, other / Math.max(1, o.offered))),
      });
    }
    return verdicts;
  },
  headline(run) {
    const defaults = run.results.find((r) => r.configuration === 'defaults') ?? run.results.at(-1);
    return defaults
      ? {
          throughputName: `admitted/s at ${run.overloadFactor ?? '?'}x (${defaults.configuration})`,
          throughput: defaults.overload.admittedPerSecond,
          p99Ms: defaults.overload.admittedMs.p99,
        }
      : null;
  },
};
