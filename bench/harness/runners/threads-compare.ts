import { z } from 'zod';
import { searchBodies } from '../../lib/query-bodies.ts';
import { startServerProcess } from '../../lib/server-process.ts';
import { type SweepLevel, sweep } from './sweep.ts';

export interface ThreadsCompareOptions {
  /** SEARCH_THREADS values to compare, e.g. [0, 1]. */
  threads: number[];
  /** More settings for every server, e.g. { BATCH: 'on' }. */
  env?: Record<string, string>;
  /** Request bodies (default: JSON float queries of the demo's dimension). */
  bodies?: string[];
  levels: number[];
  seconds: number;
  /** Alternate the settings this many times, so drift on a shared machine hits both. */
  rounds: number;
  port: number;
  dataDir: string;
  log: (m: string) => void;
}

export const comparedLevelSchema = z.object({
  concurrency: z.number(),
  qps: z.number(),
  p50Ms: z.number(),
  p99Ms: z.number(),
  failureRate: z.number(),
  generatorCpuPercent: z.number(),
});
export const threadsCompareRowSchema = z.object({
  searchThreads: z.number(),
  round: z.number(),
  levels: z.array(comparedLevelSchema),
});
export type ThreadsCompareRow = z.infer<typeof threadsCompareRowSchema>;

/**
 * The default embedded server (demo collection, `npm start`'s settings) swept
 * with each SEARCH_THREADS value in turn, alternating, in one run: the figures
 * for "search off the event loop" side by side.
 */
export async function compareSearchThreads(
  opts: ThreadsCompareOptions,
): Promise<ThreadsCompareRow[]> {
  const bodies = opts.bodies ?? searchBodies(1000, 512);
  const rows: ThreadsCompareRow[] = [];
  for (let round = 1; round <= opts.rounds; round++) {
    for (const t of opts.threads) {
      const url = `http://127.0.0.1:${opts.port}`;
      const server = await startServerProcess({
        command: process.execPath,
        args: ['--import', 'tsx', 'src/cli/serve.ts'],
        env: {
          PORT: String(opts.port),
          DATA_DIR: opts.dataDir,
          LOG_LEVEL: 'warn',
          SEARCH_THREADS: String(t),
          ...opts.env,
        },
        url,
        readyPath: '/readyz',
        timeoutMs: 300_000,
      });
      try {
        const levels: SweepLevel[] = await sweep({
          url,
          path: '/v1/collections/products/search',
          bodies,
          levels: opts.levels,
          durationSeconds: opts.seconds,
          warmupSeconds: 1,
        });
        rows.push({
          searchThreads: t,
          round,
          levels: levels.map((l) => ({
            concurrency: l.concurrency,
            qps: Math.round(l.qps),
            p50Ms: l.latency.p50Ms,
            p99Ms: l.latency.p99Ms,
            failureRate: l.failureRate,
            generatorCpuPercent: l.generator.cpuPercent,
          })),
        });
        opts.log(
          `SEARCH_THREADS=${t} round ${round}: ${levels.map((l) => `c=${l.concurrency} ${Math.round(l.qps)}/s p99 ${l.latency.p99Ms} ms`).join(', ')}`,
        );
      } finally {
        await server.stop();
      }
    }
  }
  return rows;
}
