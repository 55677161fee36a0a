/**
 * validation-micro — what the request parser costs on the search hot
 * path, per body, side by side in one run: JSON.parse alone, plus the nesting
 * check, plus the zod schema, plus the collection checks (the whole
 * parseSearchBody). 512-d and 2-d bodies; best of 5 rounds after a warm-up.
 * Writes bench/results/validation-micro.json.
 */

import { SearchBodySchema } from '../../src/api/schemas.ts';
import { MAX_JSON_DEPTH, nestsDeeper } from '../../src/server/read-json.ts';
import { parseSearchBody } from '../../src/server/request-bodies.ts';
import { type Command, num, type Values } from '../harness/command-line.ts';
import { envelope } from '../harness/envelope.ts';
import type { ValidationMicroRun } from '../harness/result.ts';

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
  const limits = { maxTopK: 1024, maxBatch: 100, maxWriteRows: 1000 };

  function best(fn: () => void, n: number): number {
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
    const info = {
      name: 'products',
      dimension,
      metric: 'L2' as const,
      fields: [{ name: 'category', type: 'string' as const, maxLength: 16 }],
    };
    const text = JSON.stringify({
      vector: Array.from({ length: dimension }, () => Math.random() * 2 - 1),
      topK: 10,
      filter: { category: 'A' },
      params: { ef: 64 },
    });
    const n = dimension > 100 ? bodies : bodies * 10;
    const parsed = JSON.parse(text);
    const parse = best(() => JSON.parse(text), n);
    const depth = best(() => nestsDeeper(parsed, MAX_JSON_DEPTH), n);
    const schema = best(() => SearchBodySchema.safeParse(parsed), n);
    const whole = best(() => parseSearchBody(parsed, info, limits), n);
    // The same query in the compact encoding: read as the server reads it (parse + schema + decode).
    const vector = (parsed as { vector: number[] }).vector;
    const b64Text = JSON.stringify({
      vectorBase64: Buffer.from(new Float32Array(vector).buffer).toString('base64'),
      topK: 10,
      filter: { category: 'A' },
      params: { ef: 64 },
    });
    const jsonPath = best(() => parseSearchBody(JSON.parse(text), info, limits), n);
    const b64Path = best(() => parseSearchBody(JSON.parse(b64Text), info, limits), n);
    return {
      dimension,
      bodyBytes: text.length,
      usPerBody: {
        jsonParse: parse,
        nestingCheck: depth,
        zodSchema: schema,
        parseSearchBodyWhole: whole,
      },
      addedOverJsonParse: Math.round(((depth + whole) / parse) * 100) / 100,
      encodings: {
        jsonFloats: { bytes: text.length, usParseAndValidate: jsonPath },
        base64Float32: { bytes: b64Text.length, usParseAndValidate: b64Path },
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
