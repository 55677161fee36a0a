import { type Command, list, num, str } from '../../harness/command-line.ts';
import { OWN_SERVER_OPTIONS } from '../../harness/commands/server-options.ts';
import { envelope } from '../../harness/envelope.ts';
import { compareSearchThreads } from '../../harness/runners/threads-compare.ts';
import type { ThreadsRun } from './result.ts';

/** The default embedded server swept with each SEARCH_THREADS value, alternating. */
export const threadsCommand: Command = {
  name: 'threads',
  summary: 'the demo server with SEARCH_THREADS=0 and 1, alternating (search off the event loop)',
  defaultOut: () => 'bench/results/search-threads.json',
  options: {
    'search-threads': { type: 'string', default: '0,1', help: 'SEARCH_THREADS values' },
    'work-dir': { type: 'string', default: '.data/bench-threads', help: 'the demo data' },
    ...OWN_SERVER_OPTIONS,
  },
  async run(values, progress): Promise<ThreadsRun> {
    const rows = await compareSearchThreads({
      threads: list(str(values, 'search-threads'), '--search-threads'),
      levels: list(str(values, 'levels'), '--levels'),
      seconds: num(values, 'level-seconds'),
      rounds: num(values, 'rounds'),
      port: num(values, 'port'),
      dataDir: str(values, 'work-dir'),
      log: progress,
    });
    return {
      ...envelope('threads', values, null, 'SEARCH_THREADS compared, embedded demo 10k x 512'),
      rows,
    };
  },
};
