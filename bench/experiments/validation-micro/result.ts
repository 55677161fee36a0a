import { z } from 'zod';
import { runSchema } from '../../harness/result-envelope.ts';

const n = z.number();
const encoding = z.object({ bytes: n, usParseAndValidate: n });

/** The request parser on the search hot path. */
export const validationMicroRunSchema = runSchema('validation-micro', {
  notes: z.string(),
  results: z.array(
    z.object({
      dimension: n,
      bodyBytes: n,
      usPerBody: z.record(z.string(), n),
      addedOverJsonParse: n,
      encodings: z.object({
        jsonFloats: encoding,
        base64Float32: encoding,
        base64Speedup: n,
      }),
    }),
  ),
});
export type ValidationMicroRun = z.infer<typeof validationMicroRunSchema>;
