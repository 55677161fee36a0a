import { InvalidRequestError } from './errors.ts';
import type { FieldSchema, Fields, ScalarValue } from './types.ts';

/**
 * Structured filters: `{"category": "A"}`, `{"category": {"in": ["A","B"]}}`,
 * `{"price": {"gte": 10, "lt": 50}}`. Every key is ANDed. Filters are parsed
 * against the collection's schema into predicates, so no raw expression text
 * ever reaches a backend (each backend compiles predicates itself).
 */
export type ComparisonOp = 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte';
export type SetOp = 'in' | 'nin';
export type FilterOp = ComparisonOp | SetOp;

export type Predicate =
  | { field: string; op: ComparisonOp; value: ScalarValue }
  | { field: string; op: SetOp; values: ScalarValue[] };

/** A parsed filter: predicates combined with AND. Empty means "match all". */
export type Filter = readonly Predicate[];

const COMPARISONS: readonly ComparisonOp[] = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte'];
const ORDERINGS: readonly ComparisonOp[] = ['gt', 'gte', 'lt', 'lte'];
const SET_OPS: readonly SetOp[] = ['in', 'nin'];
const MAX_SET_VALUES = 1024;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkValue(schema: FieldSchema, op: FilterOp, value: unknown, where: string): ScalarValue {
  const expected =
    schema.type === 'string'
      ? typeof value === 'string'
      : schema.type === 'bool'
        ? typeof value === 'boolean'
        : schema.type === 'int'
          ? Number.isSafeInteger(value)
          : typeof value === 'number' && Number.isFinite(value);
  if (!expected) {
    throw new InvalidRequestError(
      `${where}: field "${schema.name}" is of type ${schema.type}, got ${JSON.stringify(value)}`,
      { field: schema.name, op },
    );
  }
  return value as ScalarValue;
}

/**
 * Parses a request's `filter` against the collection's fields.
 * @throws InvalidRequestError naming the unknown field, operator or bad value.
 * @example parseFilter({ category: { in: ['A', 'B'] } }, fields)
 */
export function parseFilter(raw: unknown, fields: readonly FieldSchema[]): Filter {
  if (raw === undefined || raw === null) return [];
  if (!isPlainObject(raw)) {
    throw new InvalidRequestError('filter must be an object such as {"category": "A"}');
  }
  const byName = new Map(fields.map((f) => [f.name, f]));
  const predicates: Predicate[] = [];
  for (const [field, spec] of Object.entries(raw)) {
    const schema = byName.get(field);
    if (!schema) {
      const known = [...byName.keys()].join(', ') || 'none';
      throw new InvalidRequestError(
        `filter: unknown field "${field}" (filterable fields: ${known})`,
        { field },
      );
    }
    if (!isPlainObject(spec)) {
      predicates.push({ field, op: 'eq', value: checkValue(schema, 'eq', spec, 'filter') });
      continue;
    }
    const ops = Object.entries(spec);
    if (ops.length === 0) {
      throw new InvalidRequestError(`filter: field "${field}" has an empty operator object`);
    }
    for (const [op, operand] of ops) {
      const where = `filter.${field}.${op}`;
      if ((SET_OPS as readonly string[]).includes(op)) {
        if (!Array.isArray(operand) || operand.length === 0 || operand.length > MAX_SET_VALUES) {
          throw new InvalidRequestError(
            `${where}: expected an array of 1 to ${MAX_SET_VALUES} values`,
            { field, op },
          );
        }
        const values = operand.map((v) => checkValue(schema, op as SetOp, v, where));
        predicates.push({ field, op: op as SetOp, values });
      } else if ((COMPARISONS as readonly string[]).includes(op)) {
        const cop = op as ComparisonOp;
        if (ORDERINGS.includes(cop) && schema.type !== 'int' && schema.type !== 'float') {
          throw new InvalidRequestError(
            `${where}: ordering operators apply to numeric fields; "${field}" is ${schema.type}`,
            { field, op },
          );
        }
        predicates.push({ field, op: cop, value: checkValue(schema, cop, operand, where) });
      } else {
        throw new InvalidRequestError(
          `filter: unknown operator "${op}" on field "${field}" (known: ${[...COMPARISONS, ...SET_OPS].join(', ')})`,
          { field, op },
        );
      }
    }
  }
  return predicates;
}

/** True when `v` satisfies `p`; a missing value satisfies nothing. */
export function testPredicate(p: Predicate, v: ScalarValue | null | undefined): boolean {
  if (v === undefined || v === null) return false;
  switch (p.op) {
    case 'eq':
      return v === p.value;
    case 'ne':
      return v !== p.value;
    case 'gt':
      return v > p.value;
    case 'gte':
      return v >= p.value;
    case 'lt':
      return v < p.value;
    case 'lte':
      return v <= p.value;
    case 'in':
      return p.values.includes(v);
    case 'nin':
      return !p.values.includes(v);
  }
}

/** True when a row's fields satisfy every predicate. */
export function matchesFilter(filter: Filter, fields: Fields): boolean {
  for (const p of filter) if (!testPredicate(p, fields[p.field])) return false;
  return true;
}
