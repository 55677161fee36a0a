import { describe, expect, it } from 'vitest';
import { findKnee, kneedle, seedsRuleKnee } from '../../bench/harness/analysis/knee.ts';
import { littlesLaw } from '../../bench/harness/analysis/littles-law.ts';
import { plan } from '../../bench/harness/analysis/plan.ts';
import { exactKnnL2, meanRecall, recallAtK } from '../../bench/harness/analysis/recall.ts';
import { judge, parseSlo } from '../../bench/harness/analysis/slo-rule.ts';
import { fitUsl, uslThroughput } from '../../bench/harness/analysis/usl.ts';
import { schedule } from '../../bench/harness/runners/open-loop.ts';
import { bottlenecks, type SecondFigures } from '../../bench/harness/runners/time-series.ts';
import { SeededRandom } from '../../src/data/random.ts';

describe('USL fit', () => {
  it('recovers sigma, kappa and the peak from a curve with known parameters', () => {
    const truth = { lambda: 1200, sigma: 0.05, kappa: 0.0008 };
    const points = [1, 2, 4, 8, 16, 32, 64, 128].map((n) => ({
      concurrency: n,
      qps: uslThroughput(n, truth),
    }));
    const fit = fitUsl(points)!;
    expect(fit.sigma).toBeCloseTo(truth.sigma, 3);
    expect(fit.kappa / truth.kappa).toBeCloseTo(1, 2);
    expect(fit.lambda).toBeCloseTo(truth.lambda, 0);
    expect(fit.peakConcurrency).toBeCloseTo(Math.sqrt((1 - 0.05) / 0.0008), 0);
    expect(fit.r2).toBeGreaterThan(0.9999);
  });

  it('fits noisy measurements well and says when there is no retrograde region', () => {
    const rnd = new SeededRandom(7);
    const truth = { lambda: 500, sigma: 0.1, kappa: 0.002 };
    const noisy = [1, 5, 10, 20, 50, 100].map((n) => ({
      concurrency: n,
      qps: uslThroughput(n, truth) * (1 + (rnd.next() - 0.5) * 0.04),
    }));
    const fit = fitUsl(noisy)!;
    expect(Math.abs(fit.sigma - 0.1)).toBeLessThan(0.05);
    expect(fit.peakConcurrency!).toBeGreaterThan(15);
    expect(fit.peakConcurrency!).toBeLessThan(27);
    expect(fit.r2).toBeGreaterThan(0.98);
    const amdahl = fitUsl(
      [1, 2, 4, 8].map((n) => ({
        concurrency: n,
        qps: uslThroughput(n, { lambda: 100, sigma: 0.2, kappa: 0 }),
      })),
    )!;
    expect(amdahl.kappa).toBeLessThan(1e-6);
    expect(fitUsl([{ concurrency: 1, qps: 1 }])).toBeNull();
  });
});

describe("Little's law", () => {
  /** A closed system: `clients` each send, wait for the answer, `thinkMs`, send again; one FIFO server. */
  function simulate(clients: number, thinkMs: number, seconds: number) {
    const rnd = new SeededRandom(3);
    const service = () => -Math.log(1 - rnd.next()) * 2; // exponential, mean 2 ms
    let serverFreeAt = 0;
    const ready = Array.from({ length: clients }, () => 0);
    let done = 0;
    let totalLatency = 0;
    const horizon = seconds * 1000;
    for (;;) {
      // The client ready soonest sends next (FIFO by send time).
      let i = 0;
      for (let j = 1; j < clients; j++) if (ready[j]! < ready[i]!) i = j;
      const sentAt = ready[i]!;
      if (sentAt > horizon) break;
      const start = Math.max(sentAt, serverFreeAt);
      const end = start + service();
      serverFreeAt = end;
      done++;
      totalLatency += end - sentAt;
      ready[i] = end + thinkMs;
    }
    return { qps: done / seconds, meanLatencyMs: totalLatency / done };
  }

  it('holds on a simulated closed system (concurrency = throughput x latency)', () => {
    for (const c of [1, 4, 16]) {
      const sim = simulate(c, 0, 200);
      const check = littlesLaw(c, sim.meanLatencyMs, sim.qps);
      expect(Math.abs(check.relativeDifference)).toBeLessThan(0.01);
      expect(check.flagged).toBe(false);
    }
  });

  it('flags a generator that spends time between requests', () => {
    const sim = simulate(4, 3, 200); // 3 ms "generator" gap per request
    const check = littlesLaw(4, sim.meanLatencyMs, sim.qps);
    expect(check.flagged).toBe(true);
    expect(check.relativeDifference).toBeLessThan(-0.1);
    expect(check.explanation).toMatch(/generator/);
  });
});

describe('knee', () => {
  const planted = [
    { concurrency: 1, qps: 100, p95Ms: 10 },
    { concurrency: 5, qps: 480, p95Ms: 11 },
    { concurrency: 10, qps: 900, p95Ms: 12 },
    { concurrency: 20, qps: 950, p95Ms: 22 },
    { concurrency: 50, qps: 960, p95Ms: 55 },
    { concurrency: 100, qps: 965, p95Ms: 110 },
  ];

  it('finds the knee where it was planted, by the seeds rule and by Kneedle', () => {
    expect(seedsRuleKnee(planted)).toBe(10);
    expect(kneedle(planted)).toBe(10);
    expect(findKnee(planted).bestByQpsOverP95).toBe(10);
  });

  it('finds none on a straight line', () => {
    const line = [1, 2, 4, 8].map((c) => ({ concurrency: c, qps: c * 100, p95Ms: 5 }));
    expect(seedsRuleKnee(line)).toBeNull();
    expect(kneedle(line)).toBeNull();
  });
});

describe('recall', () => {
  it('is exact on a known case', () => {
    expect(recallAtK(['a', 'b', 'c'], ['a', 'c', 'd'], 3)).toBeCloseTo(2 / 3);
    expect(meanRecall([['a'], ['x']], [['a'], ['y']], 1)).toBe(0.5);
    const base = [
      [0, 0],
      [1, 0],
      [5, 5],
      [0.2, 0.1],
    ].map((v) => Float32Array.from(v));
    const truth = exactKnnL2(base, ['o', 'x', 'far', 'near'], [Float32Array.from([0.1, 0])], 2);
    expect(truth).toEqual([['o', 'near']]);
  });
});

describe('SLO rules', () => {
  it('parses units and judges every term', () => {
    const rule = parseSlo('p99<100ms, errors<0.1%, p50<2000us');
    expect(rule.map((t) => t.limit)).toEqual([100, 0.001, 2]);
    const base = {
      p50: 1,
      p90: 5,
      p95: 10,
      p99: 90,
      p999: 150,
      max: 200,
      mean: 3,
      errorRate: 0.0005,
    };
    expect(judge(rule, base).pass).toBe(true);
    expect(judge(rule, { ...base, errorRate: 0.002 }).pass).toBe(false);
    expect(() => parseSlo('p98<1ms')).toThrow(/bad SLO term "p98<1ms"/);
  });
});

describe('plan', () => {
  it("sizes for peak with headroom and redundancy, and the limit by Little's law", () => {
    const p = plan({
      sloQpsPerMachine: 1000,
      meanLatencyMsAtSlo: 20,
      p99MsAtSlo: 80,
      peakQps: 5000,
      averageQps: 1000,
    });
    expect(p.usableQpsPerMachine).toBe(800);
    expect(p.machinesForPeak).toBe(7);
    expect(p.withNPlus1).toBe(8);
    expect(p.with2x).toBe(14);
    expect(p.machinesForAverage).toBe(2);
    expect(p.inFlightAtSloMean).toBe(20);
    expect(p.recommendedConcurrencyLimit).toBe(80);
  });
});

describe('open-loop schedule', () => {
  it('spaces a constant stage evenly and ramps linearly', () => {
    const constant = schedule([{ rate: 100, seconds: 2 }]);
    expect(constant).toHaveLength(200);
    expect(constant[1]! - constant[0]!).toBeCloseTo(10);
    const ramp = schedule([{ from: 100, to: 300, seconds: 2 }]);
    expect(ramp).toHaveLength(400);
    // Twice as dense at the end as at the start.
    const early = ramp.filter((t) => t < 200).length;
    const late = ramp.filter((t) => t >= 1800).length;
    expect(late / early).toBeGreaterThan(1.25);
    expect(ramp[ramp.length - 1]!).toBeLessThanOrEqual(2000);
  });
});

describe('bottleneck verdicts', () => {
  const row = (second: number, poolWaiting: number): SecondFigures => ({
    second,
    offered: 100,
    sent: 100,
    completed: 100,
    ok: 100,
    p50Ms: 5,
    p95Ms: 9,
    p99Ms: 12,
    errors: {},
    inFlight: 3,
    server: {
      cpuPercent: 40,
      rssMb: 90,
      eventLoopLagMs: 2,
      admissionInFlight: 3,
      admissionQueued: 0,
      poolBorrowed: 16,
      poolWaiting,
    },
  });
  const run = {
    achievedSendRate: 100,
    targetRate: 100,
    late: 0,
    sent: 400,
    byOutcome: { 200: 400 },
    generatorCpuPercent: 20,
  };

  it('names an exhausted connection pool from the calls waiting for a client', () => {
    const verdicts = bottlenecks([row(0, 0), row(1, 12), row(2, 30), row(3, 25)], run);
    expect(verdicts).toEqual([
      'connection pool exhausted: calls waited for a backend client in 3 of 4 seconds (up to 30 waiting; MILVUS_POOL_MAX)',
    ]);
  });

  it('says no bottleneck was reached when nothing waited and everything was served', () => {
    expect(bottlenecks([row(0, 0), row(1, 0)], run)).toEqual([
      'no bottleneck reached: the server kept up with what was offered',
    ]);
  });
});
