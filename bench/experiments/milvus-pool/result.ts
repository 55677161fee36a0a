import { z } from 'zod';
import { runSchema } from '../../harness/result-envelope.ts';

const n = z.number();

/** Ways of reaching Milvus from Node, side by side. */
export const milvusPoolRunSchema = runSchema('milvus-pool', {
  milvus: z.record(z.string(), z.unknown()),
  poolSize: n,
  durationSeconds: n,
  notes: z.string(),
  results: z.array(
    z.object({
      variant: z.string(),
      concurrency: n,
      qps: n,
      meanMs: n.optional(),
      p50Ms: n,
      p99Ms: n,
      errors: n,
      /** The API's errors by admission refusal reason (from its /metrics); `other`: not refused by admission. */
      errorsBy: z.record(z.string(), n).optional(),
      /** API rows: which round (--rounds alternates the API variants), and the server's CPU per request. */
      round: n.optional(),
      serverCpuMsPerRequest: n.nullable().optional(),
    }),
  ),
  apiOverDirect: z.array(z.record(z.string(), n.nullable())),
});
export type MilvusPoolRun = z.infer<typeof milvusPoolRunSchema>;
