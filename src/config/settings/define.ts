/**
 * The shape of one setting and the parsers settings share; each area's
 * settings are in a file of their own beside this one.
 */

/** One setting: its key among K, its value of type V. */
export interface SettingDef<K extends string = string, V = unknown> {
  key: K;
  /** Environment variable name. */
  env: string;
  /** Key in the JSON config file (Gunicorn's spelling where one exists). */
  file: string;
  default: () => V;
  /** Returns the parsed value or throws a message saying what was expected. */
  parse: (raw: unknown) => V;
  doc: string;
  /** The Gunicorn setting this mirrors, if any. */
  gunicorn?: string;
}

/** A parser's complaint: what was expected (load-config.ts adds where, and what was given). */
export class Expected extends Error {}

export function integer(min: number, max: number) {
  return (raw: unknown): number => {
    const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      throw new Expected(`an integer from ${min} to ${max}`);
    }
    return n;
  };
}

export function seconds(min: number, max: number) {
  return (raw: unknown): number => {
    const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max) {
      throw new Expected(`a number of seconds from ${min} to ${max}`);
    }
    return n;
  };
}

/** Seconds from 0 to `max`, or -1: sized by the server (the setting says how). */
export function secondsOrAuto(max: number) {
  const inRange = seconds(0, max);
  return (raw: unknown): number => {
    const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    if (n === -1) return -1;
    try {
      return inRange(raw);
    } catch {
      throw new Expected(`-1 (auto) or a number of seconds from 0 to ${max}`);
    }
  };
}

export function oneOf<T extends string>(...values: T[]) {
  return (raw: unknown): T => {
    if (typeof raw !== 'string' || !values.includes(raw as T)) {
      throw new Expected(`one of ${values.join(', ')}`);
    }
    return raw as T;
  };
}

export function text(pattern: RegExp, what: string) {
  return (raw: unknown): string => {
    if (typeof raw !== 'string' || !pattern.test(raw)) throw new Expected(what);
    return raw;
  };
}

export function boolean(raw: unknown): boolean {
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'string' && /^(1|true|yes|on)$/i.test(raw)) return true;
  if (typeof raw === 'string' && /^(0|false|no|off)$/i.test(raw)) return false;
  throw new Expected('a boolean (true/false, 1/0, yes/no, on/off)');
}

/** A setting of an area whose settings have the type S (Config: all areas together). */
export type SettingOf<S> = SettingDef<keyof S & string, S[keyof S]>;

/** The `def` of an area: a setting whose key is one of S's (the area types its own list). */
export function settingsOf<S>() {
  return function def(
    key: keyof S & string,
    file: string,
    fallback: () => S[keyof S],
    parse: (raw: unknown) => S[keyof S],
    doc: string,
    gunicorn?: string,
  ): SettingOf<S> {
    return { key, env: file.toUpperCase(), file, default: fallback, parse, doc, gunicorn };
  };
}
