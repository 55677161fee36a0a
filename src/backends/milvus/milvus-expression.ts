import { NAME_PATTERN } from '../../core/collection-spec.ts';
import { InvalidRequestError } from '../../core/errors.ts';
import type { Filter, Predicate } from '../../core/filter.ts';
import type { ScalarValue } from '../../core/types.ts';

const OPERATORS = { eq: '==', ne: '!=', gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

/**
 * A string literal in Milvus's expression grammar: double-quoted, with `\` and
 * `"` escaped, so a value can never close the literal and add syntax (the
 * classic `A' or category != '`). Control characters have no place in a
 * filter value and are refused rather than escaped.
 */
export function quoteString(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new InvalidRequestError('filter values must not contain control characters');
  }
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function literal(v: ScalarValue): string {
  if (typeof v === 'string') return quoteString(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (!Number.isFinite(v))
    throw new InvalidRequestError(`filter value ${v} is not a finite number`);
  return String(v);
}

function identifier(field: string): string {
  // Names were checked against the schema already; this keeps the compiler safe on its own.
  if (!NAME_PATTERN.test(field))
    throw new InvalidRequestError(`invalid field name ${JSON.stringify(field)}`);
  return field;
}

function compile(p: Predicate): string {
  const f = identifier(p.field);
  if ('values' in p) {
    return `${f} ${p.op === 'in' ? 'in' : 'not in'} [${p.values.map(literal).join(', ')}]`;
  }
  return `${f} ${OPERATORS[p.op]} ${literal(p.value)}`;
}

/**
 * Compiles a parsed filter to a Milvus boolean expression ('' for none).
 * @example toMilvusExpression([{ field: 'category', op: 'eq', value: 'A' }]) // '(category == "A")'
 */
export function toMilvusExpression(filter: Filter): string {
  return filter.map((p) => `(${compile(p)})`).join(' and ');
}
