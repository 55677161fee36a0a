import { endianness } from 'node:os';
import {
  BatchSearchBodySchema,
  CreateCollectionBodySchema,
  DeleteBodySchema,
  parseBody,
  SearchBodySchema,
  WriteBodySchema,
} from '../api/schemas.ts';
import type { SearchOptions } from '../backends/search-backend.ts';
import { MAX_EF, MAX_OVERSAMPLING } from '../core/collection-spec.ts';
import { InvalidRequestError } from '../core/errors.ts';
import { type Filter, parseFilter } from '../core/filter.ts';
import {
  type CollectionSchema,
  type CollectionSpec,
  type FieldSchema,
  type Fields,
  type Row,
  searchParamOf,
} from '../core/types.ts';

/**
 * Turns parsed JSON bodies into typed requests: the structure from the zod
 * schemas (api-schemas.ts: unknown properties and nulls refused at every
 * depth), then what only the collection and the limits can say (dimension,
 * finite float32 values, fields, sizes), each refusal naming the property.
 */
export interface BodyLimits {
  maxTopK: number;
  maxBatch: number;
  maxWriteRows: number;
}

/** The options every search body shares, as the schemas have already shaped them. */
type SearchOptionsBody = {
  topK?: number;
  filter?: unknown;
  outputFields?: string[];
  params?: { ef?: number; nprobe?: number; searchList?: number; oversampling?: number };
};

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * A vector sent as base64 of little-endian float32 values: exactly 4 x `dim`
 * bytes, every value finite. Node's decoder skips characters outside the
 * alphabet silently, so the text is checked first.
 */
export function parseVectorBase64(raw: string, dim: number, where: string): Float32Array {
  if (raw.length % 4 !== 0 || !BASE64.test(raw))
    throw new InvalidRequestError(`${where} is not base64 (A-Z a-z 0-9 + /, padded with =)`);
  const bytes = Buffer.from(raw, 'base64');
  if (bytes.length !== dim * 4)
    throw new InvalidRequestError(
      `${where} holds ${bytes.length} bytes (${bytes.length / 4} float32 values); the collection has ${dim} dimensions, ${dim * 4} bytes`,
      { expected: dim, got: bytes.length / 4 },
    );
  // On a little-endian host the bytes are the array: one aligned copy, no per-value decode.
  const v = LITTLE_ENDIAN
    ? new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length))
    : Float32Array.from({ length: dim }, (_, i) => bytes.readFloatLE(i * 4));
  let squared = 0;
  for (let i = 0; i < dim; i++) {
    const x = v[i]!;
    if (!Number.isFinite(x))
      throw new InvalidRequestError(`${where}: value ${i} is ${x}, not a finite float32`);
    squared += x * x;
  }
  checkSquaredLength(squared, where);
  return v;
}

/**
 * Vectors whose squared length is at most this keep every L2 and inner
 * product between two of them finite in float32 (|a - b|^2 <= 4e37 < 3.4e38).
 * Real embeddings sit many orders below; past it distances come back as
 * Infinity (null in JSON) and a graph built over them loses its order.
 */
export const MAX_SQUARED_LENGTH = 1e37;

/** The squared length is summed in the loop that checks each value: one pass per vector. */
function checkSquaredLength(squared: number, where: string): void {
  if (squared > MAX_SQUARED_LENGTH)
    throw new InvalidRequestError(
      `${where} is too long: its squared length is ${squared.toPrecision(3)}, over ${MAX_SQUARED_LENGTH}; distances between vectors this long overflow 32-bit floats (scale it down)`,
    );
}

/** `vector` or `vectorBase64`: exactly one. */
function eitherVector(
  o: { vector?: unknown; vectorBase64?: string },
  dim: number,
  where: string,
): Float32Array {
  const prefix = where === '' ? '' : `${where}.`;
  if (o.vector !== undefined && o.vectorBase64 !== undefined)
    throw new InvalidRequestError(
      `${prefix}vector and ${prefix}vectorBase64 are both set; send one`,
    );
  if (o.vectorBase64 !== undefined)
    return parseVectorBase64(o.vectorBase64, dim, `${prefix}vectorBase64`);
  if (o.vector === undefined)
    throw new InvalidRequestError(`${prefix}vector (or ${prefix}vectorBase64) is required`);
  return parseVector(o.vector, dim, `${prefix}vector`);
}

/** A float32 vector of exactly `dim` finite values. */
export function parseVector(raw: unknown, dim: number, where: string): Float32Array {
  if (!Array.isArray(raw)) throw new InvalidRequestError(`${where} must be an array of numbers`);
  if (raw.length === 0) throw new InvalidRequestError(`${where} is empty`);
  if (raw.length !== dim) {
    throw new InvalidRequestError(
      `${where} has ${raw.length} dimensions; the collection has ${dim}`,
      {
        expected: dim,
        got: raw.length,
      },
    );
  }
  const v = new Float32Array(dim);
  let squared = 0;
  for (let i = 0; i < dim; i++) {
    const x = raw[i];
    if (typeof x !== 'number') {
      throw new InvalidRequestError(
        `${where}[${i}] is ${JSON.stringify(x) ?? typeof x}, not a number`,
      );
    }
    v[i] = x;
    const f = v[i]!;
    // JSON cannot spell NaN, but 1e999 parses as Infinity and 1e39 overflows float32.
    if (!Number.isFinite(f)) {
      throw new InvalidRequestError(`${where}[${i}] = ${x} is not a finite 32-bit float`);
    }
    squared += f * f;
  }
  checkSquaredLength(squared, where);
  return v;
}

function parseTopK(raw: unknown, limits: BodyLimits): number {
  if (raw === undefined) return 10;
  if (!Number.isInteger(raw) || (raw as number) < 1 || (raw as number) > limits.maxTopK) {
    throw new InvalidRequestError(
      `topK must be an integer from 1 to ${limits.maxTopK}, got ${JSON.stringify(raw)}`,
    );
  }
  return raw as number;
}

function parseOutputFields(raw: unknown, fields: readonly FieldSchema[]): string[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw))
    throw new InvalidRequestError('outputFields must be an array of field names');
  const known = fields.map((f) => f.name);
  if (raw.length === 1 && raw[0] === '*') return known;
  for (const f of raw) {
    if (typeof f !== 'string' || !known.includes(f)) {
      throw new InvalidRequestError(
        `outputFields: unknown field ${JSON.stringify(f)} (fields: ${known.join(', ') || 'none'}; "*" for all)`,
      );
    }
  }
  return [...new Set(raw as string[])];
}

/**
 * The search parameters, each in range and each one the collection's index
 * takes (the schema has refused unknown keys inside params already).
 */
function parseParams(
  params: SearchOptionsBody['params'],
  info: CollectionSchema,
  topK: number,
): { ef?: number; nprobe?: number; searchList?: number; oversampling?: number } {
  if (!params) return {};
  const out: { ef?: number; nprobe?: number; searchList?: number; oversampling?: number } = {};
  const takes = searchParamOf(info.indexType);
  for (const key of ['ef', 'nprobe', 'searchList'] as const) {
    const v = params[key];
    if (v === undefined) continue;
    if (key !== takes) {
      throw new InvalidRequestError(
        `params.${key} does not apply: collection "${info.name}" has a ${info.indexType ?? 'HNSW'} index, ` +
          (takes ? `which takes params.${takes}` : 'which takes no search parameters'),
        { indexType: info.indexType ?? 'HNSW' },
      );
    }
    const hi = key === 'nprobe' ? 65_536 : MAX_EF;
    if (!Number.isInteger(v) || v < 1 || v > hi) {
      throw new InvalidRequestError(
        `params.${key} must be an integer from 1 to ${hi}, got ${JSON.stringify(v)}`,
      );
    }
    if (key !== 'nprobe' && v < topK) {
      // HNSW and DiskANN keep this many candidates and return the best topK: fewer cannot be honoured.
      throw new InvalidRequestError(
        `params.${key} (${v}) must be at least topK (${topK}): the search keeps ${key} candidates and returns the best topK`,
      );
    }
    out[key] = v;
  }
  const over = params.oversampling;
  if (over !== undefined) {
    if ((info.indexType ?? 'HNSW') !== 'HNSW') {
      throw new InvalidRequestError(
        `params.oversampling does not apply: collection "${info.name}" has a ${info.indexType} index (oversampling re-scores an HNSW graph's candidates)`,
        { indexType: info.indexType },
      );
    }
    if (!Number.isInteger(over) || over < 1 || over > MAX_OVERSAMPLING) {
      throw new InvalidRequestError(
        `params.oversampling must be an integer from 1 to ${MAX_OVERSAMPLING}, got ${JSON.stringify(over)}`,
      );
    }
    if (topK * over > MAX_EF) {
      throw new InvalidRequestError(
        `topK x params.oversampling (${topK} x ${over}) must be at most ${MAX_EF} candidates`,
      );
    }
    out.oversampling = over;
  }
  return out;
}

function searchOptions(
  o: SearchOptionsBody,
  info: CollectionSchema,
  limits: BodyLimits,
): SearchOptions {
  const filter: Filter = parseFilter(o.filter, info.fields);
  const topK = parseTopK(o.topK, limits);
  const params = parseParams(o.params, info, topK);
  return {
    topK,
    filter,
    outputFields: parseOutputFields(o.outputFields, info.fields),
    ...params,
  };
}

export function parseSearchBody(raw: unknown, info: CollectionSchema, limits: BodyLimits) {
  const o = parseBody(SearchBodySchema, raw, 'search');
  return {
    vector: eitherVector(o, info.dimension, ''),
    options: searchOptions(o, info, limits),
  };
}

export function parseBatchBody(raw: unknown, info: CollectionSchema, limits: BodyLimits) {
  const o = parseBody(BatchSearchBodySchema, raw, 'batch search');
  if (o.vectors !== undefined && o.vectorsBase64 !== undefined)
    throw new InvalidRequestError('vectors and vectorsBase64 are both set; send one');
  const count = (o.vectors ?? o.vectorsBase64)?.length;
  if (count === undefined) throw new InvalidRequestError('vectors (or vectorsBase64) is required');
  if (count > limits.maxBatch) {
    throw new InvalidRequestError(
      `vectors holds ${count} queries; the limit is ${limits.maxBatch}`,
      {
        limit: limits.maxBatch,
      },
    );
  }
  const vectors = o.vectors
    ? o.vectors.map((v, i) => parseVector(v, info.dimension, `vectors[${i}]`))
    : o.vectorsBase64!.map((v, i) => parseVectorBase64(v, info.dimension, `vectorsBase64[${i}]`));
  return { vectors, options: searchOptions(o, info, limits) };
}

function checkField(schema: FieldSchema, value: unknown, where: string): void {
  const ok =
    schema.type === 'string'
      ? typeof value === 'string' && value.length <= (schema.maxLength ?? 256)
      : schema.type === 'bool'
        ? typeof value === 'boolean'
        : schema.type === 'int'
          ? Number.isSafeInteger(value)
          : typeof value === 'number' && Number.isFinite(value);
  if (!ok) {
    const limit =
      schema.type === 'string' ? ` of at most ${schema.maxLength ?? 256} characters` : '';
    throw new InvalidRequestError(
      `${where} must be ${schema.type}${limit}, got ${JSON.stringify(value)}`,
    );
  }
}

export function parseWriteBody(raw: unknown, info: CollectionSchema, limits: BodyLimits) {
  const o = parseBody(WriteBodySchema, raw, 'write');
  const mode = o.mode ?? 'upsert';
  if (o.rows.length > limits.maxWriteRows) {
    throw new InvalidRequestError(
      `rows holds ${o.rows.length} rows; the limit is ${limits.maxWriteRows}`,
    );
  }
  const seen = new Set<string>();
  const rows: Row[] = o.rows.map((r, i) => {
    const row = r as Record<string, unknown>;
    const where = `rows[${i}]`;
    let id: string | undefined;
    // The schema made sure an id is a string of 1 to 256 characters.
    if (typeof row.id === 'string') {
      if (seen.has(row.id))
        throw new InvalidRequestError(`${where}.id "${row.id}" appears twice in this request`);
      seen.add(row.id);
      id = row.id;
    }
    const vector = Array.from(
      eitherVector(row as { vector?: unknown; vectorBase64?: string }, info.dimension, where),
    );
    // Null prototype: a field named like an Object.prototype property stays a plain key.
    const fields: Fields = Object.create(null);
    for (const [k, v] of Object.entries(row)) {
      if (k === 'id' || k === 'vector' || k === 'vectorBase64') continue;
      const schema = info.fields.find((f) => f.name === k);
      if (!schema) {
        throw new InvalidRequestError(
          `${where}: unknown field "${k}" (fields: ${info.fields.map((f) => f.name).join(', ') || 'none'})`,
        );
      }
      checkField(schema, v, `${where}.${k}`);
      fields[k] = v as Fields[string];
    }
    for (const f of info.fields) {
      if (!Object.hasOwn(fields, f.name))
        throw new InvalidRequestError(`${where}: field "${f.name}" is required`);
    }
    return id === undefined ? { vector, fields } : { id, vector, fields };
  });
  return { rows, mode };
}

export function parseDeleteBody(raw: unknown, limits: BodyLimits): string[] {
  const o = parseBody(DeleteBodySchema, raw, 'delete');
  if (o.ids.length > limits.maxWriteRows) {
    throw new InvalidRequestError(
      `ids holds ${o.ids.length} ids; the limit is ${limits.maxWriteRows}`,
    );
  }
  return [...new Set(o.ids)];
}

export function parseCreateCollectionBody(raw: unknown): CollectionSpec {
  const o = parseBody(CreateCollectionBodySchema, raw, 'create collection');
  return {
    name: o.name,
    dimension: o.dimension,
    metric: o.metric ?? 'L2',
    fields: (o.fields ?? []) as FieldSchema[],
    index: o.index,
  };
}
