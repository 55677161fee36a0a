import { z } from 'zod';
import { thresholdReportSchema } from './analysis/threshold-report.ts';
import { targetInfoSchema } from './runners/target.ts';

/** recall@k of the served results against exact ground truth, next to a QPS figure. */
export const recallFigureSchema = z.object({
  k: z.number(),
  recall: z.number(),
  queries: z.number(),
});
export type RecallFigure = z.infer<typeof recallFigureSchema>;

/** What every command's result shares: what was measured, where, with which options. */
export const runEnvelopeSchema = z.object({
  schema: z.literal('vecserve-bench/1'),
  label: z.string(),
  createdAt: z.iso.datetime(),
  environment: z.looseObject({
    node: z.string(),
    platform: z.string(),
    cpus: z.int().min(1),
    cpuModel: z.string(),
    gitCommit: z.string().nullable(),
    versions: z.record(z.string(), z.string()),
  }),
  target: targetInfoSchema.nullable(),
  config: z.record(z.string(), z.unknown()),
  /** Any figure the generator could not measure faithfully is listed here. */
  warnings: z.array(z.string()),
  /** recall@k of the served results against exact ground truth, next to every QPS figure. */
  recall: recallFigureSchema.nullable().optional(),
  /** --threshold verdicts (k6 style); a failed one makes the command exit 1. */
  thresholds: thresholdReportSchema.nullable().optional(),
});

/** The envelope with its kind: the part of a result every report reads. */
export type RunEnvelope = z.infer<typeof runEnvelopeSchema> & { kind: string };

/** A result kind's schema: the envelope, the kind's name and the kind's own figures. */
export function runSchema<K extends string, S extends z.ZodRawShape>(kind: K, shape: S) {
  return runEnvelopeSchema.extend({ kind: z.literal(kind) }).extend(shape);
}
