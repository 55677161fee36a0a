import { describe, expect, it } from 'vitest';
import { plainConclusion, sweepCharts } from '../../bench/harness/kinds/sweep/report.ts';
import type { SweepRun } from '../../bench/harness/kinds/sweep/result.ts';

const level = (concurrency: number, qps: number, p95: number, failureRate = 0) => ({
  concurrency,
  durationSeconds: 10,
  requests: qps * 10,
  qps,
  latency: {
    p50Ms: p95 / 2,
    p90Ms: p95,
    p95Ms: p95,
    p99Ms: p95 * 1.5,
    p999Ms: p95 * 2,
    maxMs: p95 * 3,
    meanMs: p95 / 2,
    minMs: 1,
    stdevMs: 1,
    count: qps * 10,
  },
  errors: { byStatus: {}, timeouts: 0, connectionErrors: 0 },
  failureRate,
  littlesLaw: { derivedQps: qps, relativeDifference: 0, flagged: false, explanation: '' },
  generator: {
    cpuPercent: 20,
    eventLoopDelayP99Ms: 0,
    eventLoopDelayMaxMs: 0,
    trustworthy: true,
    reasons: [],
  },
});

function run(levels: ReturnType<typeof level>[], best: number, sigma = 0.1): SweepRun {
  return {
    schema: 'vecserve-bench/1',
    kind: 'sweep',
    label: 't',
    createdAt: '',
    environment: {},
    target: null,
    config: {},
    warnings: [],
    levels,
    analysis: {
      knee: { seedsRule: null, kneedle: null, bestByQpsOverP95: best },
      usl: { sigma, kappa: 0.0001, r2: 0.99, peakConcurrency: 40, peakQps: 3000 },
      bestConcurrency: best,
      peakMeasuredQps: Math.max(...levels.map((l) => l.qps)),
      untrustworthyLevels: [],
      littlesLawFlagged: [],
    },
    recall: null,
  } as unknown as SweepRun;
}

describe('sweep report in plain words', () => {
  it('states the peak, where more load only adds waiting, and which levels failed', () => {
    const text = plainConclusion(
      run(
        [level(1, 500, 2), level(10, 2000, 6), level(50, 2300, 30), level(100, 1500, 80, 0.2)],
        10,
        0.9,
      ),
    );
    expect(text).toMatch(/at most 2300 requests per second, reached with 50 clients/);
    expect(text).toMatch(/Beyond 10 clients more load mostly adds waiting/);
    expect(text).toMatch(/mostly serial/);
    expect(text).toMatch(/At 100 clients over 1% of requests failed/);
  });

  it('says so when every level failed, instead of a capacity', () => {
    expect(plainConclusion(run([level(10, 5, 1, 0.96)], 10))).toMatch(
      /measured refusals or errors, not capacity/,
    );
  });

  it('draws latency against throughput in throughput order (no zigzag)', () => {
    const svg = sweepCharts(
      run([level(1, 500, 2), level(10, 2000, 6), level(50, 1800, 30)], 10),
    )[2]!;
    // The series path: M x,y L x,y ...; its x coordinates must only grow.
    const d = /<path class="series" d="([^"]+)"/.exec(svg)?.[1] ?? '';
    const xs = [...d.matchAll(/[ML]\s*([\d.]+)[ ,]/g)].map((m) => Number(m[1]));
    expect(xs.length).toBe(3);
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
  });
});
