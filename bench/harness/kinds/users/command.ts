import { type Command, LIVE_OPTIONS, num, str, UsageError } from '../../command-line.ts';
import {
  QUERIES_OPTION,
  queriesOf,
  recallProbe,
  SCENARIO_OPTION,
  scenarioOf,
  weightedScenarios,
  withLiveView,
} from '../../commands/common.ts';
import { envelope } from '../../envelope.ts';
import { buildQueries, describeTarget } from '../../runners/target.ts';
import { runUsers } from '../../runners/users.ts';
import type { UsersRun } from './result.ts';

/** Locust's model: virtual users, each sending, waiting for the answer, then thinking. */
export const usersCommand: Command = {
  name: 'users',
  summary: "Locust's model: N virtual users with a think time between requests",
  targetsServer: true,
  options: {
    users: { type: 'string', default: '10', help: 'virtual users' },
    spawn: { type: 'string', default: '1', help: 'seconds over which the users start' },
    wait: {
      type: 'string',
      default: '0.1-0.5',
      help: "think time in seconds, uniform A-B (Locust's between(a, b)) or one figure",
    },
    duration: { type: 'string', default: '10', help: 'seconds' },
    'batch-size': { type: 'string', default: '10', help: 'queries per body of the batch scenario' },
    ...SCENARIO_OPTION,
    ...QUERIES_OPTION,
    weights: {
      type: 'string',
      help: "a weighted task mix instead of one scenario, as Locust's @task(weight): search=10,filtered=3,batch=1",
    },
    ...LIVE_OPTIONS,
  },
  async run(values): Promise<UsersRun> {
    const target = await describeTarget(str(values, 'target'), str(values, 'collection'));
    const queries = buildQueries(target, {
      batchSize: num(values, 'batch-size'),
      mix: queriesOf(values),
    });
    const scenario = scenarioOf(values);
    const wait = str(values, 'wait');
    const m = /^([\d.]+)(?:-([\d.]+))?$/.exec(wait);
    if (!m)
      throw new UsageError(`--wait looks like 0.5-1.5 (seconds, uniform) or 1, got "${wait}"`);
    const waitSeconds: [number, number] = [Number(m[1]), Number(m[2] ?? m[1])];
    const users = num(values, 'users');
    // One scenario, or a weighted mix of them (each user takes the next task of the sequence).
    const mix = typeof values.weights === 'string' ? weightedScenarios(values.weights) : null;
    const taskOf = (i: number) => (mix ? mix.pick(i) : scenario);
    const label = typeof values.label === 'string' ? values.label : `${users} users`;
    const result = await withLiveView(values, `users: ${label}`, (onSecond) =>
      runUsers({
        url: target.url,
        users,
        spawnSeconds: num(values, 'spawn'),
        seconds: num(values, 'duration'),
        waitSeconds,
        request: (i) => {
          const task = taskOf(i);
          return { path: queries.path[task], body: queries.body(task, i), scenario: task };
        },
        onSecond,
      }),
    );
    const run: UsersRun = {
      ...envelope('users', values, target),
      users,
      waitSeconds,
      ...(mix ? { weights: mix.weights } : {}),
      result,
    };
    run.recall = await recallProbe(target, values, run.warnings);
    return run;
  },
};
