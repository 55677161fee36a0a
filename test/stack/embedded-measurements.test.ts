import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  EMBEDDED_MEASURED_1M,
  HUGE_PAGES_MEASURED_1M,
} from '../../src/stack/embedded-measurements.ts';

const ROOT = resolve(import.meta.dirname, '../..');

describe('the embedded figures capacity prints are the result files', () => {
  it.each(EMBEDDED_MEASURED_1M.map((m) => [m.quantization, m] as const))('%s', (_, m) => {
    const result = JSON.parse(readFileSync(join(ROOT, m.resultFile), 'utf8'));
    // The run of that quantization alone (not a variant such as i8-usearch).
    const run = (result.runs as Record<string, unknown>[]).find(
      (r) => r.quantization === m.quantization && r.mode === undefined,
    ) as {
      recall: { ef: number; oversampling?: number; recall: number }[];
      http: { qps: number; concurrency: number; searchThreads?: number }[];
      diskBytes: { index: number };
    };
    if (!run) throw new Error(`${m.resultFile} holds no ${m.quantization} run`);
    const point = run.recall.find(
      (p) => p.ef === m.ef && (p.oversampling ?? 1) === (m.oversampling ?? 1),
    );
    expect(point?.recall).toBeCloseTo(m.recall, 4);
    // The peak at a stated thread count: 'auto' rows (-1) depend on the machine they ran on.
    const peak = run.http
      .filter((h) => h.searchThreads !== -1)
      .reduce((a, b) => (b.qps > a.qps ? b : a));
    expect(Math.round(peak.qps)).toBe(m.httpPeakQps);
    expect(peak.concurrency).toBe(m.httpPeakConcurrency);
    // Runs before the sweep recorded it had the server's default: one search thread here.
    expect(peak.searchThreads ?? 1).toBe(m.httpSearchThreads);
    expect(result.createdAt.slice(0, 10)).toBe(m.day);
    expect(Math.round(run.diskBytes.index / result.data.rows)).toBe(m.indexBytesPerRow);
  });

  it('huge pages against the store', () => {
    const m = HUGE_PAGES_MEASURED_1M;
    const result = JSON.parse(readFileSync(join(ROOT, m.resultFile), 'utf8'));
    const http = result.runs[0].http as {
      qps: number;
      concurrency: number;
      searchThreads: number;
      hugePages?: boolean;
    }[];
    const levels = http.filter((h) => h.concurrency === m.concurrency);
    for (const h of levels) expect(h.searchThreads).toBe(m.searchThreads);
    expect(levels.filter((h) => !h.hugePages).map((h) => Math.round(h.qps))).toEqual(m.storeQps);
    expect(levels.filter((h) => h.hugePages).map((h) => Math.round(h.qps))).toEqual(m.hugePagesQps);
    expect(result.createdAt.slice(0, 10)).toBe(m.day);
  });
});
