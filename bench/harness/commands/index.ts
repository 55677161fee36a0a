import { EXPERIMENT_COMMANDS } from '../../experiments/index.ts';
import type { Command } from '../command-line.ts';
import { failoverCommand } from '../kinds/failover/command.ts';
import { floorCommand } from '../kinds/floor/command.ts';
import { hostsCommand } from '../kinds/hosts/command.ts';
import { mixCommand } from '../kinds/mix/command.ts';
import { outageCommand } from '../kinds/outage/command.ts';
import { overloadCommand } from '../kinds/overload/command.ts';
import { planCommand } from '../kinds/plan/command.ts';
import { rateCommand } from '../kinds/rate/command.ts';
import { recallCommand } from '../kinds/recall/command.ts';
import { scaleCommand } from '../kinds/scale/command.ts';
import { sloCommand } from '../kinds/slo/command.ts';
import { sweepCommand } from '../kinds/sweep/command.ts';
import { usersCommand } from '../kinds/users/command.ts';
import { reportCommand } from './report.ts';

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
