import { InvalidRequestError } from './errors.ts';
import { type CollectionSpec, FIELD_TYPES, type FieldSchema, METRICS } from './types.ts';

/** Milvus's rule for collection and field names; also keeps names safe as paths. */
export const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;
export const MAX_DIMENSION = 32_768;
const RESERVED_FIELDS = new Set(['id', 'vector', 'distance']);

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
      throw new InvalidRequestError(`field name "${f.name}" is reserved`);
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
  for (const [key, [lo, hi]] of Object.entries({
    M: [2, 2048],
    efConstruction: [1, 65_536],
    efSearch: [1, 65_536],
  })) {
    const v = (index as Record<string, unknown>)[key];
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < lo! || (v as number) > hi!)) {
      throw new InvalidRequestError(
        `index.${key} must be an integer from ${lo} to ${hi}, got ${JSON.stringify(v)}`,
      );
    }
  }
  return { ...spec, fields, index };
}
