import type { ResultKind } from '../../result-kind.ts';
import { type HostsRun, hostsRunSchema } from './result.ts';

export const hostsKind: ResultKind<HostsRun> = {
  kind: 'hosts',
  describe: '1..N API hosts on the bed against the plan prediction from one.',
  schema: hostsRunSchema,
  tables(run) {
    return [
      {
        title: `API hosts of ${run.hostCpu} cores behind HAProxy (wrk ${run.connectionsPerHost} connections per host, median of ${run.rounds} rounds of ${run.seconds} s)`,
        rows: run.summary.map((h) => ({
          hosts: h.hosts,
          'ok/s': h.okPerSecond,
          'ok/s range': h.okPerSecondRange.join('-'),
          predicted: h.predictedOkPerSecond,
          error: `${Math.round(h.predictionError * 100)}%`,
          'p99 ms': h.p99Ms,
          'not 2xx': h.non2xx,
          'wrk CPU %': h.generatorCpuPercent,
          'HAProxy CPU %': h.haproxyCpuPercent,
          'hosts throttled': h.hostsThrottledShare,
          'machine busy': h.machineBusyShare,
          'limited by': h.limitedBy,
        })),
        notes: [
          `model: ${run.model}`,
          ...run.summary.map(
            (h) => `${h.withinTarget ? 'PASS' : 'FAIL'} ${h.hosts} host(s): ${run.goal}`,
          ),
        ],
      },
    ];
  },
};
