import { z } from 'zod';
import { latencyHistogram, latencySummarySchema, summarize } from './latency.ts';

/** One scenario's outcomes in an open-loop run. */
export const scenarioStatsSchema = z.object({
  ok: z.number(),
  failed: z.number(),
  byOutcome: z.record(z.string(), z.number()),
  latency: latencySummarySchema,
});
export type ScenarioStats = z.infer<typeof scenarioStatsSchema>;

/** Outcomes and latency per scenario (search, filtered, batch) of one run. */
export class ScenarioTally {
  readonly #by = new Map<
    string,
    {
      h: ReturnType<typeof latencyHistogram>;
      ok: number;
      failed: number;
      byOutcome: Record<string, number>;
    }
  >();

  record(scenario: string, outcome: string, us: number): void {
    let s = this.#by.get(scenario);
    if (!s) {
      s = { h: latencyHistogram(), ok: 0, failed: 0, byOutcome: {} };
      this.#by.set(scenario, s);
    }
    s.byOutcome[outcome] = (s.byOutcome[outcome] ?? 0) + 1;
    if (outcome.startsWith('2')) {
      s.h.recordValue(us);
      s.ok++;
    } else s.failed++;
  }

  /** The figures per scenario; frees the histograms. */
  finish(): Record<string, ScenarioStats> {
    const out: Record<string, ScenarioStats> = {};
    for (const [name, s] of this.#by) {
      out[name] = { ok: s.ok, failed: s.failed, byOutcome: s.byOutcome, latency: summarize(s.h) };
      s.h.destroy();
    }
    this.#by.clear();
    return out;
  }
}
