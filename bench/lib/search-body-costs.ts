/**
 * What the request parser costs on the search hot path, stage by stage, for
 * one search body of a given dimension. Two runners use the one table: the
 * `validation-micro` experiment (best of 5 rounds, written to bench/results/)
 * and Vitest's `bench()` in test/server/search-body.bench.ts
 * (`npm run bench:micro`).
 */
import { SearchBodySchema } from '../../src/api/schemas.ts';
import { MAX_JSON_DEPTH, nestsDeeper } from '../../src/server/read-json.ts';
import { parseSearchBody } from '../../src/server/request-bodies.ts';

/** The same query as JSON floats and as vectorBase64, and each stage of reading it. */
export interface SearchBodyCosts {
  dimension: number;
  jsonBytes: number;
  base64Bytes: number;
  stages: {
    /** JSON.parse of the body text alone. */
    jsonParse: () => unknown;
    /** The nesting check on the parsed value. */
    nestingCheck: () => unknown;
    /** The zod schema alone. */
    zodSchema: () => unknown;
    /** parseSearchBody on the parsed value: schema, dimension, float32 checks, filter, fields. */
    parseSearchBodyWhole: () => unknown;
    /** JSON.parse + parseSearchBody of the JSON-floats body. */
    jsonPath: () => unknown;
    /** JSON.parse + parseSearchBody of the vectorBase64 body. */
    base64Path: () => unknown;
  };
}

export function searchBodyCosts(dimension: number): SearchBodyCosts {
  const limits = { maxTopK: 1024, maxBatch: 100, maxWriteRows: 1000 };
  const info = {
    name: 'products',
    dimension,
    metric: 'L2' as const,
    fields: [{ name: 'category', type: 'string' as const, maxLength: 16 }],
  };
  const vector = Array.from({ length: dimension }, () => Math.random() * 2 - 1);
  const text = JSON.stringify({
    vector,
    topK: 10,
    filter: { category: 'A' },
    params: { ef: 64 },
  });
  const b64Text = JSON.stringify({
    vectorBase64: Buffer.from(new Float32Array(vector).buffer).toString('base64'),
    topK: 10,
    filter: { category: 'A' },
    params: { ef: 64 },
  });
  const parsed: unknown = JSON.parse(text);
  return {
    dimension,
    jsonBytes: text.length,
    base64Bytes: b64Text.length,
    stages: {
      jsonParse: () => JSON.parse(text),
      nestingCheck: () => nestsDeeper(parsed, MAX_JSON_DEPTH),
      zodSchema: () => SearchBodySchema.safeParse(parsed),
      parseSearchBodyWhole: () => parseSearchBody(parsed, info, limits),
      jsonPath: () => parseSearchBody(JSON.parse(text), info, limits),
      base64Path: () => parseSearchBody(JSON.parse(b64Text), info, limits),
    },
  };
}
