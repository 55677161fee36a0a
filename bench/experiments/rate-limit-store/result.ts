import { z } from 'zod';
import { runSchema } from '../../harness/result-envelope.ts';

const n = z.number();

/** What the cluster-wide rate limit adds to a request (bench rate-limit-store). */
export const rateLimitStoreRunSchema = runSchema('rate-limit-store', {
  seconds: n,
  rounds: n,
  connections: n,
  runs: z.array(z.object({ limiter: z.string(), okPerSecond: n, p50Ms: n, p99Ms: n, non2xx: n })),
  summary: z.array(
    z.object({
      limiter: z.string(),
      okPerSecond: n,
      p50Ms: n,
      p99Ms: n,
      p99RangeMs: z.tuple([n, n]),
    }),
  ),
  /** The Redis-backed server's limiter state at the end (shared: its counts came from Redis). */
  redisLimiter: z.record(z.string(), z.unknown()).nullable(),
  addedP99Ms: z.object({ overLocal: n, overNone: n }),
  goal: z.object({ what: z.string(), pass: z.boolean() }),
});
export type RateLimitStoreRun = z.infer<typeof rateLimitStoreRunSchema>;
