import type { ThreadsCompareRow } from '../runners/threads-compare.ts';
import type { Table } from './table.ts';

type ComparedLevel = ThreadsCompareRow['levels'][number];

/** One table row per level of servers the harness started itself, named by `name`. */
export function comparedRows<Row extends { levels: ComparedLevel[] }>(
  rows: Row[],
  name: (row: Row) => Record<string, string | number>,
): Table['rows'] {
  return rows.flatMap((row) =>
    row.levels.map((l) => ({
      ...name(row),
      c: l.concurrency,
      QPS: Math.round(l.qps),
      'p50 ms': l.p50Ms,
      'p99 ms': l.p99Ms,
      failed: `${(l.failureRate * 100).toFixed(2)}%`,
      'gen CPU': `${l.generatorCpuPercent}%`,
    })),
  );
}
