import type { ResultKind } from '../../harness/result-kind.ts';
import { type AdmissionMicroRun, admissionMicroRunSchema } from './result.ts';

export const admissionMicroKind: ResultKind<AdmissionMicroRun> = {
  kind: 'admission-micro',
  describe: 'The cost of one admission decision per limiter.',
  schema: admissionMicroRunSchema,
  tables(run) {
    return [
      {
        title: `one admission decision (${run.decisionsPerRound} per round, best of 5)`,
        rows: run.results.map((r) => ({ ...r })),
      },
    ];
  },
};
