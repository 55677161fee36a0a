import { describe, expect, it } from 'vitest';
import { csvFields, summarizeVegeta, vegetaRate } from '../../bench/harness/runners/vegeta.ts';

describe('vegeta results', () => {
  it('splits CSV fields, quoted ones with commas and doubled quotes included', () => {
    expect(csvFields('1,200,"a, ""b""",x', 4)).toEqual(['1', '200', 'a, "b"', 'x']);
    expect(csvFields('1,2,3', 2)).toEqual(['1', '2']);
  });

  it('times each request from its intended send time and counts late and refused sends', () => {
    const t0 = 1_700_000_000_000_000_000;
    const row = (seq: number, behindMs: number, code: number, latencyMs: number) =>
      [t0 + seq * 10e6 + behindMs * 1e6, code, latencyMs * 1e6, 0, 0, '', '', '', seq].join(',');
    // 100/s: one request every 10 ms. The third was sent 30 ms late and took 2 ms: 32 ms from its due time.
    const csv = [row(0, 0, 200, 1), row(1, 0, 503, 0.5), row(2, 30, 200, 2), row(3, 0, 0, 0)].join(
      '\n',
    );
    const r = summarizeVegeta(csv, { rate: 100, seconds: 0.04 }, 0.05, 12);
    expect(r.sent).toBe(4);
    expect(r.late).toBe(1);
    expect(r.byOutcome).toEqual({ '200': 2, '503': 1, error: 1 });
    expect(r.latency.count).toBe(2);
    expect(r.latency.maxMs).toBeCloseTo(32, 0);
    expect(r.refused.count).toBe(1);
    expect(r.generator.cpuPercent).toBe(12);
  });

  it('times sends by the whole-number rate vegeta was given, so a fractional rate does not drift', () => {
    const t0 = 1_700_000_000_000_000_000;
    // Asked for 100.4/s, vegeta sends 100/s: every 10 ms for 60 s, each answered in 1 ms.
    const rows = Array.from({ length: 6000 }, (_, seq) =>
      [t0 + seq * 10e6, 200, 1e6, 0, 0, '', '', '', seq].join(','),
    );
    const r = summarizeVegeta(rows.join('\n'), { rate: 100.4, seconds: 60 }, 60, 10);
    expect(vegetaRate(100.4)).toBe(100);
    // Timed at 100.4/s the last send would look 240 ms late.
    expect(r.latency.maxMs).toBeLessThan(2);
    expect(r.late).toBe(0);
    expect(r.generator.trustworthy).toBe(true);
  });

  it('counts as goodput only the answers that came back within the run, not a backlog answered after it', () => {
    const t0 = 1_700_000_000_000_000_000;
    // 2 s at 100/s: the first second answered in 1 ms, the second second 5 s later (a backlog).
    const rows = Array.from({ length: 200 }, (_, seq) =>
      [t0 + seq * 10e6, 200, seq < 100 ? 1e6 : 5e9, 0, 0, '', '', '', seq].join(','),
    );
    const r = summarizeVegeta(rows.join('\n'), { rate: 100, seconds: 2 }, 7, 10);
    expect(r.byOutcome).toEqual({ '200': 200 });
    expect(r.latency.count).toBe(200);
    expect(r.okPerSecond).toBe(50);
  });
});
