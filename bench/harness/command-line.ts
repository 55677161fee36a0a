import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { AnyRun } from './result.ts';

/** A mistake in how a command was called: printed without a stack, exit code 2. */
export class UsageError extends Error {}

/** One option of one command; `help` is its line in `--help`. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  default?: string | boolean;
  multiple?: boolean;
  short?: string;
  help: string;
}

export type OptionSpecs = Record<string, OptionSpec>;
export type Values = Record<string, string | boolean | string[] | undefined>;

/** A progress line on stderr, unless --quiet. */
export type Progress = (message: string) => void;

/**
 * One harness command. Every command shares the parser below: its own options
 * plus the common ones, `--help` generated from them, unknown options refused,
 * and (for those that return a run) one result envelope, one writer, one report
 * and k6-style thresholds.
 */
export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  options: OptionSpecs;
  /** Reads --target/--collection: measures a server someone else started. */
  targetsServer?: boolean;
  /** False where the run has no request latencies to judge (micro-benchmarks, plan). */
  thresholds?: boolean;
  /** Takes file names as positional arguments (report). */
  positionals?: string;
  /** The result file when --out is not given. */
  defaultOut?: (values: Values) => string;
  /** A run to write and report, or an exit code for commands that write no run. */
  run(values: Values, progress: Progress, positionals: string[]): Promise<AnyRun | number>;
}

/** Options every run-producing command takes. */
export const COMMON_OPTIONS: OptionSpecs = {
  out: { type: 'string', help: 'the JSON result (a CSV of its rows is written next to it)' },
  label: { type: 'string', help: 'names the run in reports (default: what was measured)' },
  threshold: {
    type: 'string',
    multiple: true,
    help: "k6 style, repeatable: 'p99<100ms', 'p95<50ms', 'errors<0.1%'; exit code 1 when one fails",
  },
  quiet: { type: 'boolean', default: false, help: 'no progress lines on stderr' },
  help: { type: 'boolean', short: 'h', default: false, help: 'this text' },
};

/** Options of commands that measure a running server. */
export const TARGET_OPTIONS: OptionSpecs = {
  target: { type: 'string', default: 'http://127.0.0.1:8000', help: 'the server to measure' },
  collection: { type: 'string', default: 'products', help: 'the collection to search' },
  'no-recall': {
    type: 'boolean',
    default: false,
    help: 'skip the recall@k probe that goes next to every QPS figure',
  },
  k: { type: 'string', default: '10', help: 'recall@k and topK of the probe' },
  'recall-queries': {
    type: 'string',
    default: '100',
    help: 'held-out queries in the recall probe',
  },
};

/** The live view, for commands that produce a per-second time series. */
export const LIVE_OPTIONS: OptionSpecs = {
  ui: {
    type: 'boolean',
    default: false,
    help: 'serve a live page of the per-second figures on loopback while the run goes',
  },
  'ui-port': { type: 'string', default: '0', help: 'port of the live page (0: any free one)' },
};

/** Every option a command accepts, common ones included. */
export function optionsOf(command: Command): OptionSpecs {
  return {
    ...(command.targetsServer ? TARGET_OPTIONS : {}),
    ...command.options,
    ...COMMON_OPTIONS,
  };
}

/** Parses a command's arguments; an unknown or malformed option is a UsageError naming it. */
export function parseCommandLine(
  command: Command,
  argv: string[],
): { values: Values; positionals: string[] } {
  const specs = optionsOf(command);
  const options = Object.fromEntries(
    Object.entries(specs).map(([name, s]) => [
      name,
      {
        type: s.type,
        ...(s.default !== undefined ? { default: s.default } : {}),
        ...(s.multiple ? { multiple: true } : {}),
        ...(s.short ? { short: s.short } : {}),
      },
    ]),
  ) as Parameters<typeof parseArgs>[0] extends infer C
    ? C extends { options?: infer O }
      ? O
      : never
    : never;
  try {
    const parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    if (parsed.positionals.length > 0 && !command.positionals && !parsed.values.help)
      throw new UsageError(
        `${command.name} takes no positional arguments, got "${parsed.positionals.join(' ')}"`,
      );
    return { values: parsed.values as Values, positionals: parsed.positionals };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(
      `${(err as Error).message.split('\n')[0]} (see npm run bench -- ${command.name} --help)`,
    );
  }
}

/** `--help` of one command, generated from its options. */
export function commandHelp(command: Command): string {
  const specs = optionsOf(command);
  const lines = Object.entries(specs).map(([name, s]) => {
    const flag = `--${name}${s.type === 'string' ? ' X' : ''}`;
    const dflt =
      s.default !== undefined && s.default !== false && s.default !== ''
        ? ` (default ${s.default})`
        : '';
    return `  ${flag.padEnd(24)} ${s.help}${dflt}`;
  });
  const args = command.positionals ? ` ${command.positionals}` : '';
  return `npm run bench -- ${command.name} [options]${args}\n  ${command.summary}\n\n${lines.join('\n')}\n`;
}

export function str(values: Values, key: string): string {
  const v = values[key];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${key} is required`);
  return v;
}

export function num(values: Values, key: string, fallback?: number): number {
  const raw = values[key];
  const v = raw === undefined ? fallback : Number(raw);
  if (v === undefined || !Number.isFinite(v))
    throw new UsageError(`--${key} must be a number, got ${String(raw)}`);
  return v;
}

export function list(raw: string, what: string): number[] {
  const out = raw.split(',').map((s) => Number(s.trim()));
  if (out.length === 0 || out.some((n) => !Number.isFinite(n) || n <= 0)) {
    throw new UsageError(
      `${what} must be a comma-separated list of positive numbers, got "${raw}"`,
    );
  }
  return out;
}

/** A result file of this harness, or a UsageError saying why it is not one. */
export function readRun(file: string): AnyRun {
  let run: AnyRun;
  try {
    run = JSON.parse(readFileSync(file, 'utf8')) as AnyRun;
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (run?.schema !== 'vecserve-bench/1')
    throw new UsageError(
      `${file} is not a vecserve-bench/1 result (schema ${String(run?.schema)})`,
    );
  return run;
}
