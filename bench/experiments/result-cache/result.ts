import { z } from 'zod';
import { runSchema } from '../../harness/result-envelope.ts';

const n = z.number();

/** The result cache under skewed and uniform queries (bench result-cache). */
export const resultCacheRunSchema = runSchema('result-cache', {
  seconds: n,
  /** Seconds of the same workload before each run, not measured. */
  warmupSeconds: n.optional(),
  rounds: n,
  connections: n,
  runs: z.array(
    z.object({
      cache: z.string(),
      workload: z.string(),
      okPerSecond: n,
      p99Ms: n,
      non2xx: n,
      hitRatio: n.nullable(),
      generatorCpuPercent: n,
      /** The server process's CPU per 2xx answer (ms), from /proc. */
      serverCpuMsPerOk: n.nullable(),
    }),
  ),
  summary: z.array(
    z.object({
      cache: z.string(),
      workload: z.string(),
      okPerSecond: n,
      p99Ms: n,
      hitRatio: n.nullable(),
      generatorCpuPercent: n,
      serverCpuMsPerOk: n,
    }),
  ),
  ratios: z.object({
    zipfLocalOverOff: n,
    zipfSharedOverOff: n,
    /** Server CPU per served request, cache off over local: the capacity gain on a server of its own. */
    zipfCpuPerOkOffOverLocal: n.optional(),
    noRepeatsLocalOverOff: n,
  }),
  goals: z.array(z.object({ what: z.string(), pass: z.boolean() })),
});
export type ResultCacheRun = z.infer<typeof resultCacheRunSchema>;
