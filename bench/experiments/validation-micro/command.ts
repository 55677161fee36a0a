/**
 * validation-micro — what the request parser costs on the search hot
 * path, per body, side by side in one run: JSON.parse alone, plus the nesting
 * check, plus the zod schema, plus the collection checks (the whole
 * parseSearchBody), from the stages of bench/lib/search-body-costs.ts (which
 * Vitest's bench() also runs: `npm run bench:micro`). 512-d and 2-d bodies;
 * best of 5 rounds after a warm-up.
 * Writes bench/results/validation-micro.json.
 */

import { type Command, num, type Values } from '../../harness/command-line.ts';
import { envelope } from '../../harness/envelope.ts';
import { searchBodyCosts } from '../../lib/search-body-costs.ts';
import type { ValidationMicroRun } from './result.ts';

/** the parser on the search hot path. */
export const validationMicroCommand: Command = {
  name: 'validation-micro',
  summary: 'the parser on the search hot path: JSON.parse, nesting check, zod, vectorBase64 (us)',
  thresholds: false,
  defaultOut: () => 'bench/results/validation-micro.json',
  options: {
    bodies: {
      type: 'string',
      default: '20000',
      help: 'bodies per round at 512-d (ten times as many at 2-d)',
    },
  },
  run: (values) => runValidationMicro(values),
};

async function runValidationMicro(values: Values): Promise<ValidationMicroRun> {
  const bodies = num(values, 'bodies');
  function best(fn: () => unknown, n: number): number {
    for (let i = 0; i < n; i++) fn();
    let min = Number.POSITIVE_INFINITY;
    for (let round = 0; round < 5; round++) {
      const t = performance.now();
      for (let i = 0; i < n; i++) fn();
      min = Math.min(min, ((performance.now() - t) / n) * 1000);
    }
    return Math.round(min * 100) / 100;
  }

  const rows = [512, 2].map((dimension) => {
    const costs = searchBodyCosts(dimension);
    const n = dimension > 100 ? bodies : bodies * 10;
    const { stages } = costs;
    const parse = best(stages.jsonParse, n);
    const depth = best(stages.nestingCheck, n);
    const schema = best(stages.zodSchema, n);
    const whole = best(stages.parseSearchBodyWhole, n);
    const jsonPath = best(stages.jsonPath, n);
    const b64Path = best(stages.base64Path, n);
    return {
      dimension,
      bodyBytes: costs.jsonBytes,
      usPerBody: {
        jsonParse: parse,
        nestingCheck: depth,
        zodSchema: schema,
        parseSearchBodyWhole: whole,
      },
      addedOverJsonParse: Math.round(((depth + whole) / parse) * 100) / 100,
      encodings: {
        jsonFloats: { bytes: costs.jsonBytes, usParseAndValidate: jsonPath },
        base64Float32: { bytes: costs.base64Bytes, usParseAndValidate: b64Path },
        base64Speedup: Math.round((jsonPath / b64Path) * 100) / 100,
      },
    };
  });

  return {
    ...envelope('validation-micro', values, null, 'us per search body'),
    notes:
      'Microseconds per body, best of 5 rounds, one process. parseSearchBodyWhole includes the zod schema and the collection checks (dimension, float32 finiteness, filter, fields); the nesting check runs on the parsed value. addedOverJsonParse: (nesting + whole) / JSON.parse. encodings: the same query as JSON floats and as vectorBase64, JSON.parse plus parseSearchBody each.',
    results: rows,
  };
}
