import { InvalidRequestError } from './errors.ts';
import {
  type CollectionSpec,
  FIELD_TYPES,
  type FieldSchema,
  INDEX_TYPES,
  type IndexParams,
  type IndexType,
  METRICS,
  QUANTIZATIONS,
} from './types.ts';

/** Milvus's rule for collection and field names; also keeps names safe as paths. */
export const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;
export const MAX_DIMENSION = 32_768;
/**
 * The largest search breadth (`ef`) any backend honours: Milvus refuses more
 * than 16,384, so the API has that one limit for both backends.
 */
export const MAX_EF = 16_384;
/**
 * Index parameters a collection gets when its spec leaves them out, for every index type
 * (the embedded backend builds HNSW only: it uses the first four).
 */
export const DEFAULT_INDEX: IndexParams = {
  M: 16,
  efConstruction: 200,
  efSearch: 64,
  quantization: 'f32',
  nlist: 1024,
  nprobe: 16,
  nbits: 8,
  searchList: 100,
};
/**
 * Names a field cannot take: the row's own keys, and every property of
 * Object.prototype (`__proto__`, `constructor`, `toString`...), which would
 * otherwise meet prototype lookups in any code that keeps fields in plain objects.
 */
export const RESERVED_FIELDS: ReadonlySet<string> = new Set([
  'id',
  'vector',
  'vectorBase64',
  'distance',
  ...Object.getOwnPropertyNames(Object.prototype),
]);

export function checkName(kind: string, name: unknown): string {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw new InvalidRequestError(
      `${kind} name ${JSON.stringify(name)} is invalid: use letters, digits and _, starting with a letter or _ (at most 255)`,
    );
  }
  return name;
}

/** Validates a collection definition, with messages naming the bad part. */
export function validateCollectionSpec(spec: CollectionSpec): CollectionSpec {
  checkName('collection', spec.name);
  if (!Number.isInteger(spec.dimension) || spec.dimension < 1 || spec.dimension > MAX_DIMENSION) {
    throw new InvalidRequestError(
      `dimension must be an integer from 1 to ${MAX_DIMENSION}, got ${JSON.stringify(spec.dimension)}`,
    );
  }
  if (!METRICS.includes(spec.metric)) {
    throw new InvalidRequestError(
      `metric must be one of ${METRICS.join(', ')}, got ${JSON.stringify(spec.metric)}`,
    );
  }
  const seen = new Set<string>();
  const fields: FieldSchema[] = spec.fields.map((f) => {
    checkName('field', f.name);
    if (RESERVED_FIELDS.has(f.name)) {
      throw new InvalidRequestError(
        `field name "${f.name}" is reserved (id, vector, distance and the names of Object.prototype's properties)`,
      );
    }
    if (seen.has(f.name)) throw new InvalidRequestError(`field "${f.name}" is defined twice`);
    seen.add(f.name);
    if (!FIELD_TYPES.includes(f.type)) {
      throw new InvalidRequestError(
        `field "${f.name}": type must be one of ${FIELD_TYPES.join(', ')}, got ${JSON.stringify(f.type)}`,
      );
    }
    return f.type === 'string' ? { ...f, maxLength: f.maxLength ?? 256 } : { ...f };
  });
  const index = spec.index ?? {};
  checkIndexParams(index as Record<string, unknown>, spec.dimension);
  for (const [key, [lo, hi]] of Object.entries({
    M: [2, 2048],
    efConstruction: [1, 65_536],
    efSearch: [1, MAX_EF],
    nlist: [1, 65_536],
    nprobe: [1, 65_536],
    m: [1, 65_536],
    nbits: [1, 16],
    searchList: [1, MAX_EF],
    oversampling: [1, MAX_OVERSAMPLING],
  })) {
    const v = (index as Record<string, unknown>)[key];
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < lo! || (v as number) > hi!)) {
      throw new InvalidRequestError(
        `index.${key} must be an integer from ${lo} to ${hi}, got ${JSON.stringify(v)}`,
      );
    }
  }
  const q = (index as Record<string, unknown>).quantization;
  if (q !== undefined && !QUANTIZATIONS.includes(q as never)) {
    throw new InvalidRequestError(
      `index.quantization must be one of ${QUANTIZATIONS.join(', ')}, got ${JSON.stringify(q)}`,
    );
  }
  if (q === 'b1' && spec.dimension % 8 !== 0) {
    throw new InvalidRequestError(
      `index.quantization "b1" packs 8 dimensions a byte: the dimension must be a multiple of 8, got ${spec.dimension}`,
    );
  }
  return { ...spec, fields, index };
}

/** Most candidates per hit wanted that a search may score exactly (embedded HNSW). */
export const MAX_OVERSAMPLING = 64;

/** Build and default search parameters each index type takes. */
const PARAMS_OF: Record<IndexType, readonly string[]> = {
  HNSW: ['M', 'efConstruction', 'efSearch', 'oversampling'],
  FLAT: [],
  IVF_FLAT: ['nlist', 'nprobe'],
  IVF_SQ8: ['nlist', 'nprobe'],
  IVF_PQ: ['nlist', 'nprobe', 'm', 'nbits'],
  DISKANN: ['searchList'],
};

/** The index type is one we know, and every parameter given belongs to it. */
function checkIndexParams(index: Record<string, unknown>, dimension: number): void {
  const type = (index.type ?? 'HNSW') as IndexType;
  if (!INDEX_TYPES.includes(type)) {
    throw new InvalidRequestError(
      `index.type must be one of ${INDEX_TYPES.join(', ')}, got ${JSON.stringify(index.type)}`,
    );
  }
  const own = PARAMS_OF[type];
  for (const key of Object.keys(index)) {
    if (key === 'type' || key === 'quantization') continue;
    if (!own.includes(key)) {
      const owner = INDEX_TYPES.filter((t) => PARAMS_OF[t].includes(key));
      throw new InvalidRequestError(
        `index.${key} is a parameter of ${owner.join('/') || 'no index'}, not of ${type}` +
          (own.length ? ` (${type} takes ${own.join(', ')})` : ` (${type} takes none)`),
      );
    }
  }
  if (type === 'IVF_PQ' && index.m !== undefined && dimension % (index.m as number) !== 0) {
    throw new InvalidRequestError(
      `index.m (${index.m}) must divide the dimension (${dimension}): IVF_PQ splits each vector into m sub-vectors`,
    );
  }
}
