import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planMilvusCluster } from '../../src/stack/milvus-cluster-plan.ts';
import { MILVUS_MEASURED_1M, scenario50M } from '../../src/stack/milvus-index-measurements.ts';

const ROOT = join(import.meta.dirname, '../..');

describe('Milvus index measurements', () => {
  it.each(MILVUS_MEASURED_1M.map((m) => [m.indexType, m] as const))(
    '%s: every figure is its result file’s',
    (_type, m) => {
      const run = JSON.parse(readFileSync(join(ROOT, m.resultFile), 'utf8'));
      const milvus = run.milvus;
      expect(m.residentBytesPerRow).toBe(Math.round(milvus.serverRssBytes / m.rows));
      const [, value] = Object.entries(m.indexParams).at(-1)!;
      // The run measured recall at the search value the measurement names, and that is its recall.
      const measuredAt = milvus.recall.map((r: { ef: number }) => r.ef);
      expect(measuredAt).toContain(value);
      expect(m.recall).toBe(milvus.recall[measuredAt.indexOf(value)].recall);
      const peak = milvus.http.reduce((a: { qps: number }, b: { qps: number }) =>
        b.qps > a.qps ? b : a,
      );
      expect(m.apiPeakQps).toBe(Math.round(peak.qps));
      expect(m.apiPeakConcurrency).toBe(peak.concurrency);
      if (milvus.httpSearchValue !== undefined) expect(milvus.httpSearchValue).toBe(value);
    },
  );

  it('plans the 50M scenario for each type with enough memory and CPU for the peak', () => {
    for (const m of MILVUS_MEASURED_1M) {
      const input = scenario50M(m);
      const plan = planMilvusCluster(input);
      const usableBytes = plan.queryNodes * input.node.memoryGiB * 2 ** 30 * 0.75;
      expect(usableBytes).toBeGreaterThanOrEqual(input.rows * input.residentBytesPerRow * 2);
      expect(
        plan.queryNodes * input.node.cores * 0.7 * input.searchesPerCore,
      ).toBeGreaterThanOrEqual(input.peakQps);
    }
  });
});
