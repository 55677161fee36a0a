import { z } from 'zod';
import { runSchema } from '../../harness/result-envelope.ts';

const n = z.number();

/** Start-up to the first search, and /search next to bare Hono routes. */
export const smokeRunSchema = runSchema('smoke', {
  notes: z.string(),
  dataset: z.record(z.string(), z.unknown()),
  startup: z.object({ coldToFirstSearchMs: n, warmToFirstSearchMs: n, command: z.string() }),
  durationSeconds: n,
  results: z.array(
    z.object({
      target: z.string(),
      concurrency: n,
      qps: n,
      latencyMs: z.object({ mean: n, p50: n, p99: n, max: n }),
      requests: n,
      non2xx: n,
      errors: n,
      timeouts: n,
    }),
  ),
});
export type SmokeRun = z.infer<typeof smokeRunSchema>;
