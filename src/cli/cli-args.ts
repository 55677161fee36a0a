import { type ParseArgsConfig, parseArgs } from 'node:util';

/**
 * parseArgs for a command-line tool: an unknown option or a missing value is
 * a one-line message and the usage, exit 2, not a stack trace.
 */
export function parseCliArgs<T extends ParseArgsConfig>(name: string, usage: string, config: T) {
  try {
    return parseArgs(config);
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (!code.startsWith('ERR_PARSE_ARGS')) throw err;
    process.stderr.write(`${name}: ${(err as Error).message}\n${usage}\n`);
    process.exit(2);
  }
}

/** A numeric option: a positive finite number, or exit 2 naming it. */
export function positiveNumber(name: string, option: string, raw: string): number {
  const n = Number(raw);
  if (!(Number.isFinite(n) && n > 0)) {
    process.stderr.write(
      `${name}: --${option} must be a positive number, got ${JSON.stringify(raw)}\n`,
    );
    process.exit(2);
  }
  return n;
}
