import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { capacityRows, littlesLaw } from '../../src/stack/capacity.ts';
import {
  estimateMemory,
  rescoringReads,
  UNCACHED_READ_US,
} from '../../src/stack/memory-estimate.ts';

describe('capacity', () => {
  it('multiplies per-worker limits by the workers and finds the narrowest in-flight limit', () => {
    const config = loadConfig({
      env: {},
      overrides: { workers: 4, workerConnections: 1000, concurrencyLimit: 64, rateLimit: 2000 },
    });
    const rows = capacityRows(config, 2);
    const row = (limit: string) => rows.find((r) => r.limit.startsWith(limit))?.value;
    expect(row('workers x worker_connections')).toBe(4000);
    expect(row('concurrency limit x workers')).toBe(256);
    expect(row('rate limit, per worker')).toBe(500);
    expect(row('worker_processes x worker_connections')).toBe(4096);
    const plan = littlesLaw(rows, 5000, 100);
    expect(plan.needed).toBe(500);
    expect(plan.narrowest?.value).toBe(256);
  });
});

describe('estimateMemory', () => {
  it('sizes the index by quantization and keeps one mapped copy per host, not per worker', () => {
    const base = { rows: 1_000_000, dimension: 512, workers: 16 } as const;
    const f32 = estimateMemory({ ...base, quantization: 'f32' });
    const i8 = estimateMemory({ ...base, quantization: 'i8' });
    expect(f32.indexBytes - i8.indexBytes).toBe(1_000_000 * 512 * 3);
    // 16 workers add their heaps, never another copy of the index.
    expect(f32.residentBytes - f32.indexBytes).toBe(16 * f32.perWorkerBytes);
    expect(f32.perWorkerBytes).toBeLessThan(200 * 2 ** 20);
  });

  it('says 50M x 512 needs more than one 32 GiB host even as int8', () => {
    const m = estimateMemory({ rows: 50_000_000, dimension: 512, workers: 16, quantization: 'i8' });
    expect(m.residentBytes).toBeGreaterThan(0.8 * 32 * 2 ** 30);
  });
});

describe('rescoringReads', () => {
  const GiB = 2 ** 30;
  it('reads nothing from disk when the raw vectors fit in the page cache beside the index', () => {
    const m = estimateMemory({ rows: 1_000_000, dimension: 512, workers: 2, quantization: 'i8' });
    expect(rescoringReads(m, 32 * GiB, 40)).toEqual({ cachedShare: 1, diskReads: 0, ioMs: 0 });
  });

  it('at 50M x 512 in b1 on 32 GiB, most of 640 candidates come from disk', () => {
    const m = estimateMemory({ rows: 50_000_000, dimension: 512, workers: 2, quantization: 'b1' });
    const r = rescoringReads(m, 32 * GiB, 640);
    // ~21 GiB of page cache for ~97 GiB of raw vectors and fields.
    expect(r.cachedShare).toBeGreaterThan(0.2);
    expect(r.cachedShare).toBeLessThan(0.23);
    expect(r.diskReads).toBeCloseTo(640 * (1 - r.cachedShare), 6);
    expect(r.ioMs).toBeCloseTo((r.diskReads * UNCACHED_READ_US) / 1000, 6);
    expect(r.ioMs).toBeGreaterThan(25);
  });

  it('has no cache at all when the index leaves no memory', () => {
    const m = estimateMemory({ rows: 50_000_000, dimension: 512, workers: 2, quantization: 'i8' });
    expect(rescoringReads(m, 30 * GiB, 10)).toMatchObject({ cachedShare: 0, diskReads: 10 });
  });
});
