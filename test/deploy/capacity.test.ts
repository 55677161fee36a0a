import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { capacityRows, littlesLaw } from '../../src/deploy/capacity.ts';

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
