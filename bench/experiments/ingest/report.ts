import type { ResultKind } from '../../harness/result-kind.ts';
import { type IngestRun, ingestRunSchema } from './result.ts';

export const ingestKind: ResultKind<IngestRun> = {
  kind: 'ingest',
  describe: 'Loading rows into Milvus, by path.',
  schema: ingestRunSchema,
  tables(run) {
    return [
      {
        title: `loading ${run.dimension}-d rows into Milvus, then ${run.index}`,
        rows: run.results.map((r) => ({
          variant: r.variant,
          rows: r.rows,
          'rows/s': r.rowsPerSecond,
          'loader CPU %': r.loaderCpuPercent,
          'Milvus CPU %': r.milvusCpuPercent,
          'files first s': r.stagingSeconds ?? '',
          'flush + index s': r.flushAndIndexSeconds,
          'count after': r.countAfter,
          'limited by': r.limitedBy,
        })),
        notes: [
          run.notes,
          ...(run.ratios
            ? [
                `over the SDK path: encoded inserts ${run.ratios.encodedOverSdk ?? '-'}x, import ${run.ratios.importOverSdk ?? '-'}x, import of files written first ${run.ratios.importStagedOverSdk ?? '-'}x`,
              ]
            : []),
          ...(run.goal
            ? [`${run.goal.pass ? 'PASS' : 'FAIL'} ${run.goal.what}: best ${run.goal.best} rows/s`]
            : []),
        ],
      },
    ];
  },
};
