import type { ResultKind } from '../../result-kind.ts';
import { type OutageRun, outageRunSchema } from './result.ts';

export const outageKind: ResultKind<OutageRun> = {
  kind: 'outage',
  describe: 'A dead backend under load: killed, then stopped, then started again.',
  schema: outageRunSchema,
  tables(run) {
    return [
      {
        title: `${run.backend} down ${run.downSeconds} s under ${run.ratePerSecond}/s (open loop)`,
        rows: run.phases.map((p) => ({
          phase: p.phase,
          ok: p.byOutcome['200'] ?? 0,
          refused: (p.byOutcome['503'] ?? 0) + (p.byOutcome['429'] ?? 0),
          'answered 504': p.http504,
          'other 5xx': p.http500,
          'refused p50 ms': p.refused.p50Ms,
          'refused p99 ms': p.refused.p99Ms,
          'served again s after Milvus searched again': p.recoverySeconds,
        })),
        notes: run.phases.flatMap((p) =>
          Object.entries(p.targets).map(
            ([name, pass]) => `${pass ? 'PASS' : 'FAIL'} ${p.phase} ${name}`,
          ),
        ),
      },
    ];
  },
};
