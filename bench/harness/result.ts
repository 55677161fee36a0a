/**
 * Every kind of result the bench writes, one folder each (harness/kinds/ for
 * the toolkit's commands, experiments/ for the experiments): a new kind is its
 * folder and one line here. The JSON schema (result.schema.json) is generated
 * from these kinds' zod schemas by `npm run bench:schema`.
 */
import { z } from 'zod';
import { admissionMicroKind } from '../experiments/admission-micro/report.ts';
import { batchingKind } from '../experiments/batching/report.ts';
import { ingestKind } from '../experiments/ingest/report.ts';
import { milvusPoolKind } from '../experiments/milvus-pool/report.ts';
import { rateLimitStoreKind } from '../experiments/rate-limit-store/report.ts';
import { resultCacheKind } from '../experiments/result-cache/report.ts';
import { smokeKind } from '../experiments/smoke/report.ts';
import { threadsKind } from '../experiments/threads/report.ts';
import { usearchVersionsKind } from '../experiments/usearch-versions/report.ts';
import { validationMicroKind } from '../experiments/validation-micro/report.ts';
import { failoverKind } from './kinds/failover/report.ts';
import { floorKind } from './kinds/floor/report.ts';
import { hostsKind } from './kinds/hosts/report.ts';
import { mixKind } from './kinds/mix/report.ts';
import { outageKind } from './kinds/outage/report.ts';
import { overloadKind } from './kinds/overload/report.ts';
import { planKind } from './kinds/plan/report.ts';
import { rateKind } from './kinds/rate/report.ts';
import { recallKind } from './kinds/recall/report.ts';
import { scaleKind } from './kinds/scale/report.ts';
import { sloKind } from './kinds/slo/report.ts';
import { sweepKind } from './kinds/sweep/report.ts';
import { usersKind } from './kinds/users/report.ts';
import { runEnvelopeSchema } from './result-envelope.ts';
import type { ResultKind } from './result-kind.ts';

export const RESULT_KINDS = [
  sweepKind,
  rateKind,
  sloKind,
  mixKind,
  recallKind,
  planKind,
  usersKind,
  overloadKind,
  smokeKind,
  milvusPoolKind,
  admissionMicroKind,
  validationMicroKind,
  threadsKind,
  batchingKind,
  scaleKind,
  usearchVersionsKind,
  floorKind,
  outageKind,
  hostsKind,
  rateLimitStoreKind,
  failoverKind,
  resultCacheKind,
  ingestKind,
] as const;

/** Any result file's content. */
export type AnyRun = (typeof RESULT_KINDS)[number] extends infer K
  ? K extends ResultKind<infer R>
    ? R
    : never
  : never;

export type { RecallFigure, RunEnvelope } from './result-envelope.ts';
export type { ResultKind } from './result-kind.ts';

const BY_NAME: ReadonlyMap<string, ResultKind> = new Map(
  RESULT_KINDS.map((k) => [k.kind, k as unknown as ResultKind]),
);

/** The kind a run belongs to: its schema and how it is rendered. */
export function kindOf(run: AnyRun): ResultKind {
  const kind = BY_NAME.get(run.kind);
  if (!kind) throw new Error(`unknown result kind "${run.kind}"`);
  return kind;
}

/** Checks a parsed result file: one envelope of a known kind, its figures as that kind says. */
export function parseRun(value: unknown): { ok: true; run: AnyRun } | { ok: false; error: string } {
  const envelope = runEnvelopeSchema.extend({ kind: z.string() }).safeParse(value);
  if (!envelope.success) return { ok: false, error: z.prettifyError(envelope.error) };
  const kind = BY_NAME.get(envelope.data.kind);
  if (!kind)
    return {
      ok: false,
      error: `unknown kind "${envelope.data.kind}"; one of: ${[...BY_NAME.keys()].join(', ')}`,
    };
  const run = kind.schema.safeParse(value);
  return run.success
    ? { ok: true, run: value as AnyRun }
    : { ok: false, error: `${kind.kind}: ${z.prettifyError(run.error)}` };
}

/** The JSON schema of every result file (result.schema.json), generated from the kinds' zod schemas. */
export function resultJsonSchema(): Record<string, unknown> {
  const union = z.union(
    RESULT_KINDS.map((k) => (k.schema as z.ZodType).describe(k.describe)) as [z.ZodType, z.ZodType],
  );
  const schema = z.toJSONSchema(union, { target: 'draft-7', io: 'input', reused: 'ref' }) as Record<
    string,
    unknown
  >;
  return {
    $schema: schema.$schema,
    $id: 'https://vecserve.local/bench/result.schema.json',
    title: 'vecserve bench result',
    description: `One result of npm run bench: the envelope every command writes, and one of ${RESULT_KINDS.length} kinds (${RESULT_KINDS.map((k) => k.kind).join(', ')}). Generated from the kinds' zod schemas (npm run bench:schema); do not edit.`,
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$schema')),
  };
}
