import { type Command, LIVE_OPTIONS, num, str, UsageError } from '../command-line.ts';
import { envelope } from '../envelope.ts';
import type { MixRun } from '../result.ts';
import { openLoop } from '../runners/open-loop.ts';
import { buildQueries, describeTarget, type Scenario } from '../runners/target.ts';
import {
  ARRIVAL_OPTIONS,
  openLoopWarnings,
  recallProbe,
  stagesOf,
  withLiveView,
} from './common.ts';

/** Weighted scenarios in one open-loop run (a task mix, as in Locust). */
export const mixCommand: Command = {
  name: 'mix',
  summary: 'weighted scenarios (search 10 : filtered 3 : batch 1), open loop',
  targetsServer: true,
  options: {
    weights: {
      type: 'string',
      default: 'search=10,filtered=3,batch=1',
      help: 'scenario=weight,... of search, filtered and batch',
    },
    ...ARRIVAL_OPTIONS,
    ...LIVE_OPTIONS,
  },
  async run(values, progress): Promise<MixRun> {
    const target = await describeTarget(str(values, 'target'), str(values, 'collection'));
    const batchSize = num(values, 'batch-size');
    const queries = buildQueries(target, { batchSize });
    const weightsText = str(values, 'weights');
    const weights: Record<string, number> = {};
    for (const part of weightsText.split(',')) {
      const [name, w] = part.split('=');
      if (!name || !['search', 'filtered', 'batch'].includes(name.trim()) || !(Number(w) >= 0)) {
        throw new UsageError(
          `--weights looks like search=10,filtered=3,batch=1, got "${weightsText}"`,
        );
      }
      weights[name.trim()] = Number(w);
    }
    // A deterministic weighted sequence: scenario of request i cycles through the weights.
    const cycle: Scenario[] = [];
    for (const [name, w] of Object.entries(weights))
      for (let j = 0; j < w; j++) cycle.push(name as Scenario);
    if (cycle.length === 0) throw new UsageError('--weights are all zero');
    const stages =
      values.rate || values.stages || values.ramp
        ? stagesOf(values, 10)
        : [{ rate: 200, seconds: num(values, 'duration', 10) }];
    const label = typeof values.label === 'string' ? values.label : weightsText;
    const result = await withLiveView(values, `mix: ${label}`, (onSecond) =>
      openLoop({
        url: target.url,
        stages,
        connections: num(values, 'connections'),
        request: (i) => {
          const scenario = cycle[(i * 7919) % cycle.length]!; // spread each kind over the run
          const bodies = queries.bodies[scenario];
          return { path: queries.path[scenario], body: bodies[i % bodies.length]!, scenario };
        },
        onProgress: progress,
        onSecond,
      }),
    );
    const vectors =
      (result.scenarios.search?.ok ?? 0) +
      (result.scenarios.filtered?.ok ?? 0) +
      (result.scenarios.batch?.ok ?? 0) * batchSize;
    const run: MixRun = {
      ...envelope('mix', values, target),
      weights,
      result,
      vectorsPerSecond: vectors / result.durationSeconds,
    };
    run.warnings.push(...openLoopWarnings(result));
    run.recall = await recallProbe(target, values, run.warnings);
    return run;
  },
};
