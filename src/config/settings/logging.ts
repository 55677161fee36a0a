import { boolean, def, oneOf, type SettingDef } from './define.ts';

/** Logs. */
export interface LoggingSettings {
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  accessLog: boolean;
}

export const LOGGING_SETTINGS: readonly SettingDef[] = [
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
