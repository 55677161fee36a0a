import type { z } from 'zod';
import type { SloTerm } from './analysis/slo-rule.ts';
import type { ThresholdVerdict } from './analysis/threshold-report.ts';
import type { Table } from './report/table.ts';
import type { RunEnvelope } from './result-envelope.ts';
import type { SecondFigures } from './runners/time-series.ts';

/** The one figure a run is compared by, and its p99 where it has one. */
export interface Headline {
  throughputName: string;
  throughput: number;
  p99Ms: number | null;
}

/**
 * Everything the harness knows about one kind of result, in the kind's own
 * folder: its schema (the JSON schema is generated from it) and how each
 * report renders it. Only `kind` and `schema` are required; a kind without
 * `csv`, `terminal` or `html` is rendered from its `tables`.
 */
export interface ResultKind<R extends RunEnvelope = RunEnvelope> {
  kind: R['kind'];
  /** What a run of this kind measures, for the generated schema's description. */
  describe: string;
  schema: z.ZodType<R>;
  /** The tables of the run: the terminal, the CSV (its first table) and the HTML page. */
  tables?(run: R): Table[];
  /** A CSV of the run's points when it is not the first table. */
  csv?(run: R): { header: string[]; rows: (string | number)[][] };
  terminal?(run: R): void;
  /** The run's HTML section when it is more than its tables (charts). */
  html?(run: R): string;
  headline?(run: R): Headline | null;
  /** What limited the run, in a few words (README summary). */
  limitedBy?(run: R): string;
  /** --threshold verdicts per scope; a kind without it measures no request latencies. */
  thresholds?(run: R, terms: SloTerm[]): ThresholdVerdict[];
  /** The per-second figures written beside the result as FILE.timeseries.csv. */
  timeSeries?(run: R): SecondFigures[];
  /** True when the run failed a requirement of its own (slo --required): exit code 1. */
  failed?(run: R): boolean;
}
