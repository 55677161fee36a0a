import { heldOutVectors } from '../../lib/query-bodies.ts';
import { parseQueryMix, QUERIES_HELP } from '../../lib/query-mix.ts';
import { num, str, UsageError, type Values } from '../command-line.ts';
import { startLiveView } from '../report/live-view.ts';
import type { RecallFigure } from '../result-envelope.ts';
import type { OpenLoopResult, Stage } from '../runners/open-loop.ts';
import { demoGroundTruth, measureRecall } from '../runners/recall-run.ts';
import type { SweepGenerator } from '../runners/sweep.ts';
import { SCENARIOS, type Scenario, type TargetInfo } from '../runners/target.ts';
import type { SecondFigures } from '../runners/time-series.ts';

/** Options of the open-loop commands (rate, mix): the shape of the offered load. */
export const ARRIVAL_OPTIONS = {
  rate: { type: 'string', help: 'arrival rate, requests per second (with --duration)' },
  duration: { type: 'string', help: 'seconds (default 10)' },
  stages: { type: 'string', help: 'RATE:SECONDS,... e.g. 100:10,500:30 (figures per stage)' },
  ramp: { type: 'string', help: 'FROM-TO:SECONDS, e.g. 100-1000:60' },
  connections: { type: 'string', default: '256', help: 'most connections the generator opens' },
  'batch-size': { type: 'string', default: '10', help: 'queries per body of the batch scenario' },
} as const;

/** Which query each request sends (every load command): a mix, or the held-out queries in turn. */
export const QUERIES_OPTION = {
  queries: { type: 'string', help: QUERIES_HELP },
} as const;

/** --generator checked: 'auto' or one of `allowed` (a usage error names them). */
export function askedGenerator(
  values: Values,
  allowed: readonly SweepGenerator[],
): SweepGenerator | 'auto' {
  const asked = str(values, 'generator');
  if (asked === 'auto' || (allowed as readonly string[]).includes(asked))
    return asked as SweepGenerator | 'auto';
  const names = ['auto', ...allowed];
  throw new UsageError(
    `--generator is ${names.slice(0, -1).join(', ')} or ${names.at(-1)}, got "${asked}"`,
  );
}

/** --queries checked (a usage error names what is wrong), or undefined when not given. */
export function queriesOf(values: Values): string | undefined {
  const spec = values.queries;
  if (typeof spec !== 'string') return undefined;
  try {
    parseQueryMix(spec);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return spec;
}

export const SCENARIO_OPTION = {
  scenario: {
    type: 'string',
    default: 'search',
    help: 'search, filtered, batch or upsert (writes rows bench-upsert-0..999)',
  },
} as const;

export function scenarioOf(values: Values): Scenario {
  const scenario = str(values, 'scenario') as Scenario;
  if (!SCENARIOS.includes(scenario))
    throw new UsageError(`--scenario is ${SCENARIOS.join(', ')}, got "${scenario}"`);
  return scenario;
}

/**
 * A weighted task mix (`search=10,filtered=3,batch=1`) as a deterministic
 * sequence: request i gets `pick(i)`, each kind spread over the run.
 */
export function weightedScenarios(text: string): {
  weights: Record<string, number>;
  pick: (i: number) => Scenario;
} {
  const weights: Record<string, number> = {};
  for (const part of text.split(',')) {
    const [name, w] = part.split('=');
    if (!name || !SCENARIOS.includes(name.trim() as Scenario) || !(Number(w) >= 0))
      throw new UsageError(
        `--weights looks like search=10,filtered=3,batch=1,upsert=1 (of ${SCENARIOS.join(', ')}), got "${text}"`,
      );
    weights[name.trim()] = Number(w);
  }
  const cycle: Scenario[] = [];
  for (const [name, w] of Object.entries(weights))
    for (let j = 0; j < w; j++) cycle.push(name as Scenario);
  if (cycle.length === 0) throw new UsageError('--weights are all zero');
  return { weights, pick: (i) => cycle[(i * 7919) % cycle.length]! };
}

export function stagesOf(values: Values, defaultSeconds: number): Stage[] {
  const { stages, ramp, rate } = values;
  if (typeof stages === 'string') {
    return stages.split(',').map((s) => {
      const m = /^([\d.]+):([\d.]+)s?$/.exec(s.trim());
      if (!m)
        throw new UsageError(
          `--stages items look like RATE:SECONDS (e.g. 100:10,200:10), got "${s}"`,
        );
      return { rate: Number(m[1]), seconds: Number(m[2]) };
    });
  }
  if (typeof ramp === 'string') {
    const m = /^([\d.]+)-([\d.]+):([\d.]+)s?$/.exec(ramp.trim());
    if (!m)
      throw new UsageError(`--ramp looks like FROM-TO:SECONDS (e.g. 100-1000:30), got "${ramp}"`);
    return [{ from: Number(m[1]), to: Number(m[2]), seconds: Number(m[3]) }];
  }
  if (rate === undefined)
    throw new UsageError('give --rate N (with --duration S), --stages or --ramp');
  return [{ rate: num(values, 'rate'), seconds: num(values, 'duration', defaultSeconds) }];
}

export function openLoopWarnings(r: OpenLoopResult): string[] {
  return r.generator.trustworthy ? [] : r.generator.reasons.map((x) => `load generator: ${x}`);
}

/** recall@k of what the server answers, measured next to its QPS (unless --no-recall). */
export async function recallProbe(
  target: TargetInfo,
  values: Values,
  warnings: string[],
): Promise<RecallFigure | null> {
  if (values['no-recall']) return null;
  const k = num(values, 'k');
  const count = num(values, 'recall-queries');
  try {
    const qs = heldOutVectors(count, target.dimension);
    const truth = demoGroundTruth(target, qs, k);
    return { k, recall: await measureRecall(target, qs, truth, k), queries: count };
  } catch (err) {
    warnings.push(`recall not measured: ${(err as Error).message}`);
    return null;
  }
}

/**
 * Runs an open-loop measurement, with the live view when --ui is given: the
 * page's URL is printed before the first request, every second is pushed to
 * it, and the end (totals, bottlenecks) before it closes.
 */
export async function withLiveView(
  values: Values,
  title: string,
  measure: (onSecond?: (row: SecondFigures) => void) => Promise<OpenLoopResult>,
): Promise<OpenLoopResult> {
  if (!values.ui) return measure();
  const view = await startLiveView({ port: num(values, 'ui-port'), title });
  process.stdout.write(`live view: ${view.url}\n`);
  try {
    const result = await measure((row) => view.second(row));
    view.done({
      sent: result.sent,
      ok: result.latency.count,
      errors: result.intended - result.latency.count,
      p99Ms: result.latency.p99Ms,
      bottlenecks: result.bottlenecks,
    });
    return result;
  } finally {
    await view.close();
  }
}
