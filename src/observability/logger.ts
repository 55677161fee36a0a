import { type Logger, pino } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout, one object per line. */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid, ...bindings },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    // Synchronous writes: nothing is lost when the process exits right after a
    // log line. Under PM2 cluster mode fd 1 is not the log file: PM2 captures
    // process.stdout.write, so write through it there.
    process.env.pm_id === undefined ? pino.destination({ dest: 1, sync: true }) : process.stdout,
  );
}
