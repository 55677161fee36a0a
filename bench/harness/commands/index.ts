import { EXPERIMENT_COMMANDS } from '../../experiments/index.ts';
import type { Command } from '../command-line.ts';
import { failoverCommand } from './failover.ts';
import { floorCommand } from './floor.ts';
import { hostsCommand } from './hosts.ts';
import { mixCommand } from './mix.ts';
import { outageCommand } from './outage.ts';
import { overloadCommand } from './overload.ts';
import { planCommand } from './plan.ts';
import { rateCommand } from './rate.ts';
import { recallCommand } from './recall.ts';
import { reportCommand } from './report.ts';
import { scaleCommand } from './scale.ts';
import { sloCommand } from './slo.ts';
import { sweepCommand } from './sweep.ts';
import { usersCommand } from './users.ts';

/** Measure a server someone else started. */
export const SERVER_COMMANDS: Command[] = [
  sweepCommand,
  rateCommand,
  sloCommand,
  mixCommand,
  usersCommand,
  recallCommand,
];

/** Start the servers themselves, setting against setting, in one run. */
export const SELF_CONTAINED_COMMANDS: Command[] = [
  floorCommand,
  overloadCommand,
  outageCommand,
  scaleCommand,
  hostsCommand,
  failoverCommand,
];

export { EXPERIMENT_COMMANDS };

/** Read result files. */
export const RESULT_COMMANDS: Command[] = [planCommand, reportCommand];

export const COMMANDS: ReadonlyMap<string, Command> = new Map(
  [...SERVER_COMMANDS, ...SELF_CONTAINED_COMMANDS, ...RESULT_COMMANDS, ...EXPERIMENT_COMMANDS].map(
    (c) => [c.name, c],
  ),
);
