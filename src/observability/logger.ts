import { type Logger, pino } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout, one object per line. */
export function createLogger(level: string, opts: { underPm2?: boolean } = {}): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    // Synchronous writes: nothing is lost when the process exits right after a
    // log line. Under PM2 cluster mode fd 1 is not the log file: PM2 captures
    // process.stdout.write, so write through it there.
    opts.underPm2 ? process.stdout : pino.destination({ dest: 1, sync: true }),
  );
}
