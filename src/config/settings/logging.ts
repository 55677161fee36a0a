import { boolean, oneOf, type SettingOf, settingsOf } from './define.ts';

/** Logs. */
export interface LoggingSettings {
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  accessLog: boolean;
}

const def = settingsOf<LoggingSettings>();

export const LOGGING_SETTINGS: readonly SettingOf<LoggingSettings>[] = [
  def(
    'logLevel',
    'log_level',
    () => 'info',
    oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
    'Structured (JSON) log level.',
    'loglevel',
  ),
  def(
    'accessLog',
    'access_log',
    () => false,
    boolean,
    'Log one JSON line per request.',
    'accesslog',
  ),
];
