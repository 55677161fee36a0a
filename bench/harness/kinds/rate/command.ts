import { type Command, LIVE_OPTIONS, num, str } from '../../command-line.ts';
import {
  ARRIVAL_OPTIONS,
  openLoopWarnings,
  QUERIES_OPTION,
  queriesOf,
  recallProbe,
  SCENARIO_OPTION,
  scenarioOf,
  stagesOf,
  withLiveView,
} from '../../commands/common.ts';
import { envelope } from '../../envelope.ts';
import { openLoop } from '../../runners/open-loop.ts';
import { buildQueries, describeTarget } from '../../runners/target.ts';
import type { RateRun } from './result.ts';

/** Open loop at a target arrival rate, latency from each request's intended send time. */
export const rateCommand: Command = {
  name: 'rate',
  summary:
    'open loop at an arrival rate (constant, --stages or --ramp): per-second and per-stage figures',
  targetsServer: true,
  options: { ...ARRIVAL_OPTIONS, ...SCENARIO_OPTION, ...QUERIES_OPTION, ...LIVE_OPTIONS },
  async run(values, progress): Promise<RateRun> {
    const target = await describeTarget(str(values, 'target'), str(values, 'collection'));
    const queries = buildQueries(target, {
      batchSize: num(values, 'batch-size'),
      mix: queriesOf(values),
    });
    const scenario = scenarioOf(values);
    const stages = stagesOf(values, 10);
    const label = typeof values.label === 'string' ? values.label : scenario;
    const result = await withLiveView(values, `rate: ${label}`, (onSecond) =>
      openLoop({
        url: target.url,
        stages,
        connections: num(values, 'connections'),
        request: (i) => ({
          path: queries.path[scenario],
          body: queries.body(scenario, i),
          scenario,
        }),
        onProgress: progress,
        onSecond,
      }),
    );
    const run: RateRun = { ...envelope('rate', values, target), stages, result };
    run.warnings.push(...openLoopWarnings(result));
    run.recall = await recallProbe(target, values, run.warnings);
    return run;
  },
};
