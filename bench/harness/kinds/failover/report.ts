import type { ResultKind } from '../../result-kind.ts';
import { type FailoverRun, failoverRunSchema } from './result.ts';

export const failoverKind: ResultKind<FailoverRun> = {
  kind: 'failover',
  describe: 'HAProxy against nginx as the front balancer when a host is lost.',
  schema: failoverRunSchema,
  tables(run) {
    return [
      {
        title: `a lost host behind each front balancer, ${run.ratePerSecond}/s open loop, event at ${run.eventAtSecond} s`,
        rows: run.phases.map((p) => ({
          front: p.front,
          event: p.event,
          sent: p.sent,
          failed: p.failed,
          'slower than 1 s': p.slowerThan1s,
          'max ms': p.maxMs,
          'p99 ms': p.p99Ms,
          'served again after s': p.recoverySeconds,
        })),
      },
    ];
  },
};
