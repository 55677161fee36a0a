import {
  DataType,
  type DescribeCollectionResponse,
  type DescribeIndexResponse,
} from '@zilliz/milvus2-sdk-node';
import { DEFAULT_INDEX } from '../../core/collection-spec.ts';
import { InvalidRequestError, NotFoundError } from '../../core/errors.ts';
import {
  type CollectionSchema,
  type CollectionSpec,
  type FieldSchema,
  type FieldType,
  INDEX_TYPES,
  type IndexParams,
  type IndexType,
  type Metric,
  searchParamOf,
} from '../../core/types.ts';
import type { RowColumns } from '../search-backend.ts';
import type { ScalarColumn } from './insert-request.ts';
import { check, isNotFound } from './milvus-status.ts';
import { CONSISTENCY_LEVEL } from './search-request.ts';

/**
 * Schemas and index parameters between the API's terms and Milvus's: the fields of a
 * collection created here, the build parameters of each index type, the search defaults
 * kept in a collection's description, a described collection read back, and rows as
 * Milvus's column types hold them.
 */

/** The primary key and vector field of collections created here. */
const PK = 'id';
export const VECTOR = 'embedding';

/** IVF_PQ's default sub-quantizers: 8 dimensions each where the dimension allows. */
function defaultPqM(dimension: number): number {
  for (const per of [8, 4, 2]) if (dimension % per === 0) return dimension / per;
  return dimension;
}

/** The build parameters Milvus takes for each index type. */
export function buildParams(
  type: IndexType,
  index: Partial<IndexParams>,
  dimension: number,
): Record<string, number> {
  switch (type) {
    case 'HNSW':
      return {
        M: index.M ?? DEFAULT_INDEX.M,
        efConstruction: index.efConstruction ?? DEFAULT_INDEX.efConstruction,
      };
    case 'IVF_FLAT':
    case 'IVF_SQ8':
      return { nlist: index.nlist ?? DEFAULT_INDEX.nlist! };
    case 'IVF_PQ':
      return {
        nlist: index.nlist ?? DEFAULT_INDEX.nlist!,
        m: index.m ?? defaultPqM(dimension),
        nbits: index.nbits ?? DEFAULT_INDEX.nbits!,
      };
    default:
      return {};
  }
}

/**
 * The search defaults of a collection this API created live in its Milvus
 * description (Milvus keeps build parameters, not search ones), as JSON under
 * "vecserve"; a collection created elsewhere has the shared defaults (DEFAULT_INDEX).
 */
export const DESCRIPTION_KEY = 'vecserve';
export type SearchDefaults = Pick<Partial<IndexParams>, 'efSearch' | 'nprobe' | 'searchList'>;

function searchDefaultsFrom(description: string | undefined): SearchDefaults {
  try {
    const d = JSON.parse(description ?? '')?.[DESCRIPTION_KEY] as SearchDefaults | undefined;
    const out: SearchDefaults = {};
    for (const k of ['efSearch', 'nprobe', 'searchList'] as const)
      if (Number.isInteger(d?.[k])) out[k] = d![k];
    return out;
  } catch {
    return {};
  }
}

const TO_MILVUS: Record<FieldType, DataType> = {
  string: DataType.VarChar,
  int: DataType.Int64,
  float: DataType.Double,
  bool: DataType.Bool,
};
const FROM_MILVUS: Record<string, FieldType> = {
  VarChar: 'string',
  Int64: 'int',
  Int32: 'int',
  Int16: 'int',
  Int8: 'int',
  Double: 'float',
  Float: 'float',
  Bool: 'bool',
};

/** A collection as the backend serves it: its schema, Milvus's field names and types, its index. */
export interface CachedSchema {
  schema: CollectionSchema;
  pk: string;
  vectorField: string;
  /** Milvus's own type of the primary key and each scalar field (e.g. VarChar, Int64). */
  columnTypes: Record<string, string>;
  /** The collection's consistency level (ConsistencyLevel number), what searches use by default. */
  consistencyLevel: number;
  index: { type: string } & Partial<IndexParams>;
  fetchedAt: number;
}

/**
 * A collection as Milvus describes it (describeCollection and describeIndex), in the API's
 * terms: any primary key and float-vector field names, the scalar fields this API can serve,
 * the index type and its build parameters, and the search defaults kept in its description.
 */
export function schemaFromMilvus(
  name: string,
  desc: DescribeCollectionResponse,
  index: DescribeIndexResponse,
  fetchedAt: number,
): CachedSchema {
  if (isNotFound(desc.status)) throw new NotFoundError(`collection "${name}" does not exist`);
  check(desc.status, 'describeCollection');
  const fields = desc.schema.fields as unknown as {
    name: string;
    data_type: string;
    is_primary_key?: boolean;
    type_params?: { key: string; value: string }[];
  }[];
  const param = (f: (typeof fields)[number], key: string) =>
    f.type_params?.find((p) => p.key === key)?.value;
  const pk = fields.find((f) => f.is_primary_key);
  const vector = fields.find((f) => f.data_type === 'FloatVector');
  if (!pk || !vector) {
    throw new InvalidRequestError(
      `collection "${name}" has no primary key or float vector field this API can serve`,
    );
  }
  const scalars: FieldSchema[] = fields
    .filter((f) => f !== pk && f !== vector && FROM_MILVUS[f.data_type])
    .map((f) => {
      const type = FROM_MILVUS[f.data_type]!;
      const maxLength = param(f, 'max_length');
      return type === 'string' && maxLength
        ? { name: f.name, type, maxLength: Number(maxLength) }
        : { name: f.name, type };
    });
  const desc0 = index.index_descriptions?.find((d) => d.field_name === vector.name);
  const params: Record<string, string> = Object.fromEntries(
    (desc0?.params ?? []).map((p) => [p.key, String(p.value)]),
  );
  const nested = params.params ? (JSON.parse(params.params) as Record<string, unknown>) : {};
  const metric = (params.metric_type ?? 'L2') as Metric;
  const type = params.index_type ?? 'none';
  const known = (INDEX_TYPES as readonly string[]).includes(type) ? (type as IndexType) : undefined;
  const built: Partial<IndexParams> = {};
  for (const k of ['M', 'efConstruction', 'nlist', 'm', 'nbits'] as const) {
    const v = nested[k] ?? params[k];
    if (v !== undefined) built[k] = Number(v);
  }
  const described = desc as { description?: string; schema?: { description?: string } };
  const defaults = searchDefaultsFrom(described.schema?.description || described.description);
  const searchKey = searchParamOf(known);
  const search: Partial<IndexParams> =
    searchKey === 'ef'
      ? { efSearch: defaults.efSearch ?? DEFAULT_INDEX.efSearch }
      : searchKey === 'nprobe'
        ? { nprobe: defaults.nprobe ?? DEFAULT_INDEX.nprobe! }
        : searchKey === 'searchList'
          ? { searchList: defaults.searchList ?? DEFAULT_INDEX.searchList! }
          : {};
  return {
    pk: pk.name,
    vectorField: vector.name,
    columnTypes: Object.fromEntries(
      fields.filter((f) => f !== vector).map((f) => [f.name, f.data_type]),
    ),
    consistencyLevel:
      CONSISTENCY_LEVEL[String((desc as { consistency_level?: unknown }).consistency_level)] ??
      CONSISTENCY_LEVEL.Bounded!,
    schema: {
      name,
      dimension: Number(param(vector, 'dim')),
      metric,
      fields: scalars,
      ...(known ? { indexType: known } : {}),
    },
    index: { type, ...built, ...search, quantization: 'f32' },
    fetchedAt,
  };
}

/** The fields of a collection created here: a VarChar key, the vector, one field per declared one. */
export function newCollectionFields(valid: CollectionSpec) {
  return [
    { name: PK, data_type: DataType.VarChar, is_primary_key: true, max_length: 256 },
    { name: VECTOR, data_type: DataType.FloatVector, dim: valid.dimension },
    ...valid.fields.map((f) => ({
      name: f.name,
      data_type: TO_MILVUS[f.type],
      ...(f.type === 'string' ? { max_length: f.maxLength ?? 256 } : {}),
    })),
  ];
}

/** The primary key and each scalar field of `columns` as Milvus's types hold them. */
export function scalarColumns(
  name: string,
  s: CachedSchema,
  columns: RowColumns,
): Record<string, ScalarColumn> {
  const out: Record<string, ScalarColumn> = {
    [s.pk]: toColumn(s.pk, s.columnTypes[s.pk], columns.ids),
  };
  for (const [field, values] of Object.entries(columns.fields)) {
    if (!(field in s.columnTypes))
      throw new InvalidRequestError(`collection "${name}" has no field "${field}"`);
    out[field] = toColumn(field, s.columnTypes[field], values);
  }
  return out;
}

/** A column of `values` as Milvus's `type` holds it; types a bulk load cannot write are refused. */
function toColumn(
  field: string,
  type: string | undefined,
  values: readonly (string | number | boolean)[],
): ScalarColumn {
  switch (type) {
    case 'VarChar':
      return { type, values: values.map(String) };
    case 'Int64':
      return { type, values: values.map(Number) };
    case 'Double':
      return { type, values: values.map(Number) };
    case 'Bool':
      return { type, values: values.map(Boolean) };
    default:
      throw new InvalidRequestError(
        `field "${field}" is ${type ?? 'unknown'} in Milvus; a bulk load writes VarChar, Int64, Double and Bool fields (use the write API for others)`,
      );
  }
}
