/**
 * Every request body of the API as a zod schema: the one source for
 * validation (strict: unknown keys refused at every depth, null never a
 * value), for the OpenAPI document (/openapi.json) and for the typed client's
 * types. What a schema cannot know (a collection's dimension and fields,
 * server limits) is checked after it, in request-bodies.ts.
 */
import { z } from 'zod';
import { MAX_EF } from '../core/collection-spec.ts';

const MAX_ID_LENGTH = 256;

export const VectorSchema = z
  .array(z.number())
  .min(1)
  .meta({
    description: 'float32 values, as many as the collection dimension; finite',
    example: [0.12, -0.5, 0.33],
  });

const Scalar = z.union([z.string(), z.number(), z.boolean()]);

export const PredicateSchema = z
  .union([
    z.strictObject({
      field: z.string(),
      op: z.enum(['eq', 'ne', 'gt', 'gte', 'lt', 'lte']),
      value: Scalar,
    }),
    z.strictObject({
      field: z.string(),
      op: z.enum(['in', 'nin']),
      values: z.array(Scalar).min(1),
    }),
  ])
  .meta({ description: 'A condition on a field; conditions of a filter are ANDed.' });

const searchOptions = {
  topK: z.int().min(1).optional().meta({ description: 'Hits per query (default 10, at most MAX_TOPK).' }),
  filter: z.array(PredicateSchema).optional(),
  outputFields: z
    .array(z.string())
    .optional()
    .meta({ description: 'Fields to return with each hit; ["*"] for all.' }),
  params: z
    .strictObject({
      ef: z
        .int()
        .min(1)
        .max(MAX_EF)
        .optional()
        .meta({ description: 'Candidates the HNSW search keeps (at least topK); recall rises with it.' }),
    })
    .optional(),
};

export const SearchBodySchema = z.strictObject({ vector: VectorSchema, ...searchOptions });
export const BatchSearchBodySchema = z.strictObject({
  vectors: z.array(VectorSchema).min(1).meta({ description: 'At most MAX_BATCH queries.' }),
  ...searchOptions,
});

export const RowSchema = z
  .object({
    id: z.string().min(1).max(MAX_ID_LENGTH).optional().meta({ description: 'Made for you when absent.' }),
    vector: VectorSchema,
  })
  .catchall(Scalar)
  .meta({ description: 'A row: its id, its vector and a value for every field of the collection.' });

export const WriteBodySchema = z.strictObject({
  rows: z.array(RowSchema).min(1).meta({ description: 'At most MAX_WRITE_ROWS rows.' }),
  mode: z.enum(['insert', 'upsert']).optional().meta({ description: 'Default upsert.' }),
});

export const DeleteBodySchema = z.strictObject({
  ids: z.array(z.string().min(1).max(MAX_ID_LENGTH)).min(1),
});

export const FieldSpecSchema = z.strictObject({
  name: z.string(),
  type: z.enum(['string', 'int', 'float', 'bool']),
  maxLength: z.int().min(1).optional(),
});

export const IndexSpecSchema = z.strictObject({
  M: z.int().optional(),
  efConstruction: z.int().optional(),
  efSearch: z.int().optional(),
  quantization: z.enum(['f32', 'f16', 'i8']).optional(),
});

export const CreateCollectionBodySchema = z.strictObject({
  name: z.string().meta({ description: 'Letters, digits and _; starts with a letter.' }),
  dimension: z.int(),
  metric: z.enum(['L2', 'IP', 'COSINE']).optional(),
  fields: z.array(FieldSpecSchema).optional(),
  index: IndexSpecSchema.optional(),
});

// Responses, for the document and the client.
export const HitSchema = z
  .object({ id: z.string(), distance: z.number() })
  .catchall(Scalar)
  .meta({ description: 'A neighbour: its id, its distance and the output fields asked for.' });
export const SearchResponseSchema = z.object({ hits: z.array(HitSchema), tookMs: z.number() });
export const BatchSearchResponseSchema = z.object({
  results: z.array(z.array(HitSchema)),
  tookMs: z.number(),
});
export const WriteResponseSchema = z.object({
  ids: z.array(z.string()),
  count: z.int(),
  tookMs: z.number(),
});
export const DeleteResponseSchema = z.object({ deleted: z.int(), tookMs: z.number() });
export const CollectionInfoSchema = z.object({
  name: z.string(),
  dimension: z.int(),
  metric: z.enum(['L2', 'IP', 'COSINE']),
  fields: z.array(FieldSpecSchema),
  count: z.int(),
  index: z.object({ type: z.string() }).catchall(z.unknown()),
  writable: z.boolean(),
});
export const CollectionListSchema = z.object({ collections: z.array(z.string()) });
export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    code: z.string(),
    detail: z.string(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
  })
  .catchall(z.unknown())
  .meta({ description: 'RFC 9457 problem details; `code` names the error, `detail` says what was wrong.' });

export type SearchBody = z.infer<typeof SearchBodySchema>;
export type BatchSearchBody = z.infer<typeof BatchSearchBodySchema>;
export type WriteBody = z.infer<typeof WriteBodySchema>;
export type DeleteBody = z.infer<typeof DeleteBodySchema>;
export type CreateCollectionBody = z.infer<typeof CreateCollectionBodySchema>;
export type Hit = z.infer<typeof HitSchema>;
export type SearchResponse = z.infer<typeof SearchResponseSchema>;
export type BatchSearchResponse = z.infer<typeof BatchSearchResponseSchema>;
export type WriteResponse = z.infer<typeof WriteResponseSchema>;
export type DeleteResponse = z.infer<typeof DeleteResponseSchema>;
export type CollectionInfoResponse = z.infer<typeof CollectionInfoSchema>;
export type Problem = z.infer<typeof ProblemSchema>;

/**
 * Parses with `schema` or throws the first issue as a message that names the
 * property, e.g. `search: unknown property "foo"` or `rows[0].id must be a
 * string`. `null` is refused wherever a value is required (no schema allows it).
 */
export function parseBody<T>(schema: z.ZodType<T>, raw: unknown, what: string): T {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw new BodyError(describeIssue(issue, raw, what));
}

export class BodyError extends Error {}

function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out;
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let v = raw;
  for (const p of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown, what: string): string {
  const where = pathText(issue.path);
  const at = where === '' ? what : where;
  switch (issue.code) {
    case 'unrecognized_keys':
      return `${at}: unknown property ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'invalid_type': {
      const got = valueAt(raw, issue.path);
      if (got === undefined) return `${at} is required`;
      return `${at} must be ${issue.expected === 'int' ? 'an integer' : issue.expected}, got ${JSON.stringify(got) ?? typeof got}`;
    }
    case 'invalid_value':
      return `${at} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(valueAt(raw, issue.path))}`;
    case 'too_small':
      return issue.origin === 'array'
        ? `${at} must not be empty`
        : `${at} must be at least ${issue.minimum}, got ${JSON.stringify(valueAt(raw, issue.path))}`;
    case 'too_big':
      return `${at} must be at most ${issue.maximum}${issue.origin === 'string' ? ' characters' : ''}, got ${issue.origin === 'string' ? `${String(valueAt(raw, issue.path)).length} characters` : JSON.stringify(valueAt(raw, issue.path))}`;
    case 'invalid_union':
      return `${at} is not valid: ${issue.errors[0]?.[0] ? describeIssue({ ...issue.errors[0][0], path: [...issue.path, ...issue.errors[0][0].path] }, raw, what) : issue.message}`;
    default:
      return `${at}: ${issue.message}`;
  }
}
