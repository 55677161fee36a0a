import type { ResultKind } from '../../harness/result-kind.ts';
import { type ValidationMicroRun, validationMicroRunSchema } from './result.ts';

export const validationMicroKind: ResultKind<ValidationMicroRun> = {
  kind: 'validation-micro',
  describe: 'The request parser on the search hot path.',
  schema: validationMicroRunSchema,
  tables(run) {
    return [
      {
        title: 'the search body parser, microseconds per body',
        rows: run.results.map((r) => ({
          dimension: r.dimension,
          bytes: r.bodyBytes,
          ...r.usPerBody,
          'added / parse': r.addedOverJsonParse,
          'json us': r.encodings.jsonFloats.usParseAndValidate,
          'base64 us': r.encodings.base64Float32.usParseAndValidate,
          'base64 bytes': r.encodings.base64Float32.bytes,
        })),
      },
    ];
  },
};
