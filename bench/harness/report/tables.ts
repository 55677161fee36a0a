import { type AnyRun, kindOf } from '../result.ts';
import type { Headline } from '../result-kind.ts';
import type { Table } from './table.ts';

export type { Table } from './table.ts';

/**
 * The tables of a run, from its kind's folder: the commands that start their
 * own servers have tables; the load commands (sweep, rate, slo, mix, users,
 * recall, plan) have charts and sections of their own.
 */
export function runTables(run: AnyRun): Table[] {
  return kindOf(run).tables?.(run) ?? [];
}

/** The one figure a run is compared by, and its p99 where it has one. */
export function headline(run: AnyRun): Headline | null {
  return kindOf(run).headline?.(run) ?? null;
}
