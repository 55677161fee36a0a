import { monitorEventLoopDelay } from 'node:perf_hooks';
import { z } from 'zod';

/**
 * The load generator's self-check: its own CPU (percent of one core) and
 * event-loop delay while a run lasts. A generator near a full core, or whose
 * loop lags, sends late and times responses late: its figures measure itself.
 */
export const generatorHealthSchema = z.object({
  cpuPercent: z.number(),
  eventLoopDelayP99Ms: z.number(),
  eventLoopDelayMaxMs: z.number(),
  trustworthy: z.boolean(),
  reasons: z.array(z.string()),
});
export type GeneratorHealth = z.infer<typeof generatorHealthSchema>;

const RESOLUTION_MS = 10;

export const GENERATOR_LIMITS = { cpuPercent: 90, eventLoopDelayP99Ms: 20 };

export function monitorGenerator(): { stop(extraReasons?: string[]): GeneratorHealth } {
  const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  delay.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  return {
    stop(extraReasons = []) {
      const elapsedMs = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      delay.disable();
      const cpuPercent = Math.round(((cpu.user + cpu.system) / 1000 / elapsedMs) * 100);
      // Node's histogram holds the whole interval between samples: take the resolution off.
      const p99 = Math.max(0, Math.round((delay.percentile(99) / 1e6 - RESOLUTION_MS) * 100) / 100);
      const reasons = [...extraReasons];
      if (cpuPercent > GENERATOR_LIMITS.cpuPercent) {
        reasons.push(`generator CPU ${cpuPercent}% of a core (> ${GENERATOR_LIMITS.cpuPercent}%)`);
      }
      if (p99 > GENERATOR_LIMITS.eventLoopDelayP99Ms) {
        reasons.push(
          `generator event-loop delay p99 ${p99} ms (> ${GENERATOR_LIMITS.eventLoopDelayP99Ms} ms)`,
        );
      }
      return {
        cpuPercent,
        eventLoopDelayP99Ms: p99,
        eventLoopDelayMaxMs: Math.max(0, Math.round((delay.max / 1e6 - RESOLUTION_MS) * 100) / 100),
        trustworthy: reasons.length === 0,
        reasons,
      };
    },
  };
}
