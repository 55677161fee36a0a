/**
 * The bench harness: `npm run bench -- <command> [options]`, `--help` after a
 * command for its options. Every command parses its arguments the same way,
 * writes the same result envelope (bench/harness/result.schema.json) with a
 * CSV of its rows, prints the same terminal report and takes k6-style
 * `--threshold`s that set the exit code.
 */

import { formatThresholds, judgeThresholds } from './analysis/thresholds.ts';
import { commandHelp, parseCommandLine, UsageError } from './command-line.ts';
import {
  COMMANDS,
  EXPERIMENT_COMMANDS,
  RESULT_COMMANDS,
  SELF_CONTAINED_COMMANDS,
  SERVER_COMMANDS,
} from './commands/index.ts';
import { printRun } from './report/terminal.ts';
import { checkWritable, writeRun } from './report/write.ts';
import { kindOf } from './result.ts';

export function helpText(command?: string): string {
  const known = command ? COMMANDS.get(command) : undefined;
  if (known) return commandHelp(known);
  const group = (title: string, list: typeof SERVER_COMMANDS) =>
    `${title}\n${list.map((c) => `  ${c.name.padEnd(17)} ${c.summary}`).join('\n')}\n`;
  return `usage: npm run bench -- <command> [options]   (npm run bench -- <command> --help for its options)

${group('Measure a running server (--target URL, default http://127.0.0.1:8000):', SERVER_COMMANDS)}
${group('Start their own servers, setting against setting in one run:', SELF_CONTAINED_COMMANDS)}
${group('Read result files:', RESULT_COMMANDS)}
${group('Experiments (one-off measurements behind a design choice, kept reproducible):', EXPERIMENT_COMMANDS)}
Every measuring command writes one result envelope (--out FILE, JSON plus a CSV of its rows),
takes --label TEXT, and --threshold EXPR (k6 style, repeatable: 'p99<100ms', 'errors<0.1%';
PASS/FAIL per level or run, exit code 1 when one fails). rate, mix and users take --ui: a live
page of the per-second figures on loopback.
`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(helpText(name === 'help' ? rest[0] : undefined));
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.get(name);
  if (!command)
    throw new UsageError(
      `unknown command "${name}"; one of: ${[...COMMANDS.keys()].join(', ')} (npm run bench -- --help)`,
    );
  const { values, positionals } = parseCommandLine(command, rest);
  if (values.help) {
    process.stdout.write(commandHelp(command));
    return 0;
  }
  const thresholds = (values.threshold as string[] | undefined) ?? [];
  if (thresholds.length > 0 && command.thresholds === false)
    throw new UsageError(
      `${command.name} measures no request latencies: --threshold does not apply to it`,
    );
  const progress = (m: string) => {
    if (!values.quiet) process.stderr.write(`  ${m}\n`);
  };
  const out =
    typeof values.out === 'string'
      ? values.out
      : (command.defaultOut?.(values) ??
        `bench/results/${command.name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  try {
    checkWritable(out);
  } catch (err) {
    throw new UsageError(`--out ${out}: cannot write the result there (${(err as Error).message})`);
  }
  const result = await command.run(values, progress, positionals);
  if (typeof result === 'number') return result;
  result.thresholds = judgeThresholds(result, thresholds);
  const files = writeRun(result, out);
  printRun(result);
  console.log(`written to ${files.json}${files.csv ? ` and ${files.csv}` : ''}`);
  if (result.thresholds) console.log(formatThresholds(result.thresholds));
  if (result.thresholds && !result.thresholds.pass) return 1;
  // A requirement of the run's own (slo --required) it did not meet.
  if (kindOf(result).failed?.(result)) return 1;
  return 0;
}

if (process.argv[1]?.endsWith('cli.ts')) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      // A system error (a file, a socket) is said in one line; anything else keeps its stack.
      const plain =
        err instanceof UsageError || typeof (err as NodeJS.ErrnoException).code === 'string';
      process.stderr.write(`bench: ${plain ? (err as Error).message : (err as Error).stack}\n`);
      process.exit(err instanceof UsageError ? 2 : 1);
    },
  );
}
