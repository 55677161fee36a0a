/**
 * What reading one search body costs, stage by stage, at 512 and 2
 * dimensions, beside the parser's tests: `npm run bench:micro`. The stages
 * are the ones the `validation-micro` experiment times for bench/results/
 * (bench/lib/search-body-costs.ts).
 */
import { bench, describe } from 'vitest';
import { searchBodyCosts } from '../../bench/lib/search-body-costs.ts';

for (const dimension of [512, 2]) {
  const { stages, jsonBytes, base64Bytes } = searchBodyCosts(dimension);
  describe(`a ${dimension}-d search body (${jsonBytes} B as JSON floats, ${base64Bytes} B as vectorBase64)`, () => {
    bench('JSON.parse', () => void stages.jsonParse());
    bench('nesting check', () => void stages.nestingCheck());
    bench('zod schema', () => void stages.zodSchema());
    bench(
      'parseSearchBody (schema and collection checks)',
      () => void stages.parseSearchBodyWhole(),
    );
    bench('JSON.parse + parseSearchBody, JSON floats', () => void stages.jsonPath());
    bench('JSON.parse + parseSearchBody, vectorBase64', () => void stages.base64Path());
  });
}
