import { z } from 'zod';
import { runSchema } from '../../harness/result-envelope.ts';

const n = z.number();

/** Loading rows into Milvus, by path (bench ingest). */
export const ingestRunSchema = runSchema('ingest', {
  dimension: n,
  /** The index built after each load. */
  index: z.string(),
  notes: z.string(),
  results: z.array(
    z.object({
      variant: z.string(),
      rows: n,
      seconds: n,
      rowsPerSecond: n,
      /** CPU over the load, percent of one core. */
      loaderCpuPercent: n,
      milvusCpuPercent: n,
      loaderCpuMsPerKRows: n,
      flushAndIndexSeconds: n,
      /** import-staged: seconds writing every file before the imports (not in rowsPerSecond). */
      stagingSeconds: n.nullable().optional(),
      countAfter: n,
      limitedBy: z.string(),
    }),
  ),
  ratios: z
    .object({
      encodedOverSdk: n.nullable(),
      importOverSdk: n.nullable(),
      importStagedOverSdk: n.nullable().optional(),
    })
    .optional(),
  goal: z.object({ what: z.string(), best: n, pass: z.boolean() }).optional(),
});
export type IngestRun = z.infer<typeof ingestRunSchema>;
