import { z } from 'zod';
import { runSchema } from '../../result-envelope.ts';
import { scaleFiguresSchema } from '../../runners/scale.ts';
import { milvusScaleFiguresSchema } from '../../runners/scale-milvus.ts';

/** The store at scale: build, restart, memory, recall and HTTP figures per quantization. */
export const scaleRunSchema = runSchema('scale', {
  data: z.record(z.string(), z.unknown()).optional(),
  runs: z.array(scaleFiguresSchema).optional(),
  milvus: milvusScaleFiguresSchema.optional(),
});
export type ScaleRun = z.infer<typeof scaleRunSchema>;
