import type { ResultKind } from '../../harness/result-kind.ts';
import { type ResultCacheRun, resultCacheRunSchema } from './result.ts';

export const resultCacheKind: ResultKind<ResultCacheRun> = {
  kind: 'result-cache',
  describe: 'The result cache under skewed and uniform queries.',
  schema: resultCacheRunSchema,
  tables(run) {
    return [
      {
        title: `the result cache (autocannon c=${run.connections}, median of ${run.rounds} rounds of ${run.seconds} s)`,
        rows: run.summary.map((s) => ({ ...s })),
        notes: [
          `Zipf: local ${run.ratios.zipfLocalOverOff}x, local + Redis ${run.ratios.zipfSharedOverOff}x the uncached req/s; server CPU per served request ${run.ratios.zipfCpuPerOkOffOverLocal ?? '-'}x less with the local cache; no repeats: ${run.ratios.noRepeatsLocalOverOff}x`,
          ...run.goals.map((g) => `${g.pass ? 'PASS' : 'FAIL'} ${g.what}`),
        ],
      },
    ];
  },
};
