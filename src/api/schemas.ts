/**
 * Every request body of the API as a zod schema: the one source for
 * validation (strict: unknown keys refused at every depth, null never a
 * value), for the OpenAPI document (/openapi.json) and for the typed client's
 * types. What a schema cannot know (a collection's dimension and fields,
 * server limits) is checked after it, in request-bodies.ts.
 */
import { z } from 'zod';
import { MAX_EF } from '../core/collection-spec.ts';
import { InvalidRequestError } from '../core/errors.ts';

const MAX_ID_LENGTH = 256;

/**
 * A query or row vector. Only its shape is checked here (an array):
 * its length and every value are checked once, with the collection's
 * dimension, by parseVector while it copies them into a Float32Array. A
 * zod array of numbers checked and copied all 512 values a second time
 * (2.4 us of a search request). The JSON Schema is the array's.
 */
export const VectorSchema = z
  .custom<number[]>((v) => Array.isArray(v), { message: 'expected an array of numbers' })
  .meta({
    type: 'array',
    items: { type: 'number' },
    minItems: 1,
    description:
      'float32 values, as many as the collection dimension; finite, with a squared length of at most 1e37',
    example: [0.12, -0.5, 0.33],
  });

/** The compact encoding: base64 of the little-endian float32 values (4 bytes each). */
export const VectorBase64Schema = z.string().meta({
  description:
    'The vector as base64 of little-endian float32 values (4 bytes per dimension), instead of a JSON array: about 3x smaller than JSON floats and cheaper to parse.',
  example: 'AACAPwAAAEAAAEBA',
});

const Scalar = z.union([z.string(), z.number(), z.boolean()]);

/**
 * A structured filter: every key a field, ANDed; a value means equality, an
 * object of operators compares. Its details (fields of the collection,
 * operators, value types) are checked by parseFilter, which knows the schema.
 */
export const FilterSchema = z.record(z.string(), z.unknown()).meta({
  description:
    'Keys are fields, ANDed. A scalar means equality; an object takes operators eq, ne, gt, gte, lt, lte (a value) and in, nin (1 to 1,024 values).',
  example: { category: { in: ['A', 'B'] }, price: { lt: 50 } },
});

const searchOptions = {
  topK: z.number().optional().meta({
    description: 'Hits per query: an integer from 1 to MAX_TOPK (default 10).',
  }),
  filter: FilterSchema.optional(),
  outputFields: z
    .array(z.string())
    .optional()
    .meta({ description: 'Fields to return with each hit; ["*"] for all.' }),
  params: z
    .strictObject({
      ef: z
        .number()
        .optional()
        .meta({
          description: `HNSW: candidates the search keeps, an integer from topK to ${MAX_EF}; recall rises with it.`,
        }),
      nprobe: z
        .number()
        .optional()
        .meta({ description: 'IVF_FLAT, IVF_SQ8, IVF_PQ: clusters searched (1 to nlist).' }),
      searchList: z
        .number()
        .optional()
        .meta({ description: `DISKANN: candidate list, an integer from topK to ${MAX_EF}.` }),
      oversampling: z
        .number()
        .optional()
        .meta({
          description: `Embedded HNSW: search topK x oversampling candidates (an integer from 1 to 64, at most ${MAX_EF} in all) and keep the best topK by exact distance from the stored float32 vectors.`,
        }),
    })
    .optional()
    .meta({
      description:
        "Search parameters of the collection's index type (describe shows it); a parameter of another type is a 400.",
    }),
};

export const SearchBodySchema = z.strictObject({
  vector: VectorSchema.optional().meta({
    description: 'The query (or vectorBase64: exactly one).',
  }),
  vectorBase64: VectorBase64Schema.optional(),
  ...searchOptions,
});
export const BatchSearchBodySchema = z.strictObject({
  vectors: z
    .array(VectorSchema)
    .min(1)
    .optional()
    .meta({ description: 'At most MAX_BATCH queries (or vectorsBase64: exactly one).' }),
  vectorsBase64: z.array(VectorBase64Schema).min(1).optional(),
  ...searchOptions,
});

export const RowSchema = z
  .object({
    id: z
      .string()
      .min(1)
      .max(MAX_ID_LENGTH)
      .optional()
      .meta({ description: 'Made for you when absent.' }),
    vector: VectorSchema.optional().meta({
      description: 'The vector (or vectorBase64: exactly one).',
    }),
    vectorBase64: VectorBase64Schema.optional(),
  })
  // Field values: which fields and types depends on the collection (checked after the schema).
  .catchall(z.union([Scalar, z.array(z.number())]))
  .meta({
    description:
      "A row: its id, its vector and a value for every field of the collection (string, int, float or bool, as the field's type).",
  });

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
  type: z.enum(['HNSW', 'FLAT', 'IVF_FLAT', 'IVF_SQ8', 'IVF_PQ', 'DISKANN']).optional().meta({
    description:
      'The vector index (HNSW by default; the embedded backend builds HNSW only). Each type takes its own parameters: HNSW M, efConstruction, efSearch; IVF_* nlist and nprobe (IVF_PQ also m, nbits); DISKANN searchList; FLAT none.',
  }),
  M: z.int().optional(),
  efConstruction: z.int().optional(),
  efSearch: z.int().optional().meta({ description: 'HNSW: ef of a search that gives none.' }),
  quantization: z.enum(['f32', 'f16', 'i8', 'b1']).optional().meta({
    description:
      'Embedded HNSW: how the graph stores vectors. f32; f16; i8 (codes with a scale learned from the data); b1 (one bit a dimension: the sign after centring on the mean row, compared by Hamming distance; the dimension must be a multiple of 8, and it needs oversampling). Every answer is rescored exactly from the stored float32 vectors.',
  }),
  oversampling: z.int().optional().meta({
    description:
      'Embedded HNSW: candidates per hit wanted (1-64, default 1), each scored exactly from the stored float32 vectors; recovers the recall an f16/i8/b1 graph loses. Searches can override it (params.oversampling).',
  }),
  nlist: z.int().optional().meta({ description: 'IVF_*: clusters built.' }),
  nprobe: z.int().optional().meta({ description: 'IVF_*: nprobe of a search that gives none.' }),
  m: z.int().optional().meta({ description: 'IVF_PQ: sub-quantizers; must divide the dimension.' }),
  nbits: z.int().optional().meta({ description: 'IVF_PQ: bits per code (1-16).' }),
  searchList: z
    .int()
    .optional()
    .meta({ description: 'DISKANN: search_list of a search that gives none.' }),
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
  .object({
    id: z.string(),
    distance: z.number(),
    fields: z.record(z.string(), Scalar).optional(),
  })
  .meta({ description: 'A neighbour: its id, its distance and, when asked for, its fields.' });
export const SearchResponseSchema = z.object({ hits: z.array(HitSchema), tookMs: z.number() });
export const BatchSearchResponseSchema = z.object({
  results: z.array(z.array(HitSchema)),
  tookMs: z.number(),
});
export const WriteResponseSchema = z.object({
  ids: z.array(z.string()),
  durability: z.enum(['fsynced', 'logged', 'flushed']).meta({
    description: 'What is guaranteed now that the call returned (README, "Writes").',
  }),
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
  .meta({
    description: 'RFC 9457 problem details; `code` names the error, `detail` says what was wrong.',
  });

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
  throw new InvalidRequestError(describeIssue(issue, raw, what));
}

function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path)
    out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
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

/**
 * The types a union accepts, when the value failed each alternative on its type
 * at the union's own place (nested unions flattened); null when it got further.
 */
function unionTypes(issue: z.core.$ZodIssue): string[] | null {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return null;
  const out: string[] = [];
  for (const alternative of issue.errors) {
    const first = alternative[0];
    if (!first || first.path.length > 0) return null;
    if (first.code === 'invalid_type') {
      const name = first.expected === 'array' ? 'an array' : `a ${first.expected}`;
      if (!out.includes(name)) out.push(name);
      continue;
    }
    const nested = unionTypes(first);
    if (!nested) return null;
    for (const t of nested) if (!out.includes(t)) out.push(t);
  }
  return out;
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown, what: string): string {
  const where = pathText(issue.path);
  const at = where === '' ? what : where;
  const got = valueAt(raw, issue.path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return `${at}: unknown property ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'invalid_type': {
      if (got === undefined) return `${at} is required`;
      if (issue.expected === 'object' || issue.expected === 'record')
        return where === '' ? 'request body must be a JSON object' : `${where} must be an object`;
      if (issue.expected === 'array') return `${at} must be an array, got ${JSON.stringify(got)}`;
      if (issue.expected === 'number' || issue.expected === 'int') {
        // JSON cannot spell NaN, but 1e999 parses as Infinity.
        if (typeof got === 'number') return `${at} = ${got} is not a finite 32-bit float`;
        return `${at} is ${JSON.stringify(got)}, not a number`;
      }
      return `${at} must be a ${issue.expected}, got ${JSON.stringify(got)}`;
    }
    case 'invalid_value':
      return `${at} must be one of ${issue.values.map(String).join(', ')}, got ${JSON.stringify(got)}`;
    case 'too_small':
      return issue.origin === 'array' || (issue.origin === 'string' && issue.minimum === 1)
        ? `${at} is empty`
        : `${at} must be at least ${issue.minimum}, got ${JSON.stringify(got)}`;
    case 'too_big':
      return issue.origin === 'string'
        ? `${at} must be a string of at most ${issue.maximum} characters`
        : `${at} must be at most ${issue.maximum}, got ${JSON.stringify(got)}`;
    case 'invalid_union': {
      // A value of none of the union's types: name them all, not only the first.
      const types = unionTypes(issue);
      if (types)
        return `${at} must be ${types.length > 1 ? `${types.slice(0, -1).join(', ')} or ${types.at(-1)}` : types[0]}, got ${JSON.stringify(got)}`;
      const first = issue.errors[0]?.[0];
      return first
        ? describeIssue({ ...first, path: [...issue.path, ...first.path] }, raw, what)
        : `${at} is not valid`;
    }
    default:
      return `${at}: ${issue.message}`;
  }
}
