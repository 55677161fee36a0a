import { type Command, LIVE_OPTIONS, num, str } from '../../command-line.ts';
import {
  ARRIVAL_OPTIONS,
  openLoopWarnings,
  QUERIES_OPTION,
  queriesOf,
  recallProbe,
  stagesOf,
  weightedScenarios,
  withLiveView,
} from '../../commands/common.ts';
import { envelope } from '../../envelope.ts';
import { openLoop } from '../../runners/open-loop.ts';
import { buildQueries, describeTarget } from '../../runners/target.ts';
import type { MixRun } from './result.ts';

/** Weighted scenarios in one open-loop run (a task mix, as in Locust). */
export const mixCommand: Command = {
  name: 'mix',
  summary: 'weighted scenarios (search 10 : filtered 3 : batch 1), open loop',
  targetsServer: true,
  options: {
    weights: {
      type: 'string',
      default: 'search=10,filtered=3,batch=1',
      help: 'scenario=weight,... of search, filtered, batch and upsert (upsert writes rows bench-upsert-0..999 into the collection)',
    },
    ...ARRIVAL_OPTIONS,
    ...QUERIES_OPTION,
    ...LIVE_OPTIONS,
  },
  async run(values, progress): Promise<MixRun> {
    const target = await describeTarget(str(values, 'target'), str(values, 'collection'));
    const batchSize = num(values, 'batch-size');
    const queries = buildQueries(target, { batchSize, mix: queriesOf(values) });
    const weightsText = str(values, 'weights');
    const { weights, pick } = weightedScenarios(weightsText);
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
          const scenario = pick(i);
          return { path: queries.path[scenario], body: queries.body(scenario, i), scenario };
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
    if ((weights.upsert ?? 0) > 0) {
      // The demo's ground truth does not know the written rows.
      run.warnings.push('recall not measured: the run wrote rows (upsert)');
      run.recall = null;
    } else run.recall = await recallProbe(target, values, run.warnings);
    return run;
  },
};
