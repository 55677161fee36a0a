import type { Quantization } from '../core/types.ts';

/**
 * What the embedded store measured at 1M x 512 per quantization on this
 * project's 2-core machine (`npm run bench -- scale`), shown by `npm run
 * capacity` beside the memory estimate. A test checks every figure against its
 * result file, so none is typed by hand twice.
 */
export interface EmbeddedMeasurement {
  quantization: Quantization;
  resultFile: string;
  /** The search setting of `recall` and of the HTTP figures. */
  ef: number;
  oversampling?: number;
  /** recall@10 against exact ground truth at that setting. */
  recall: number;
  /** The most answers per second through HTTP in the closed-loop sweep, and at which concurrency. */
  httpPeakQps: number;
  httpPeakConcurrency: number;
  /** Index file bytes per row (vectors as stored + graph). */
  indexBytesPerRow: number;
}

export const EMBEDDED_MEASURED_1M: readonly EmbeddedMeasurement[] = [
  {
    quantization: 'f32',
    resultFile: 'bench/results/scale-1000000.json',
    ef: 64,
    recall: 0.8727,
    httpPeakQps: 913,
    httpPeakConcurrency: 100,
    indexBytesPerRow: 2196,
  },
  {
    quantization: 'i8',
    resultFile: 'bench/results/scale-1000000-i8-learned.json',
    ef: 128,
    oversampling: 2,
    recall: 0.9687,
    httpPeakQps: 1181,
    httpPeakConcurrency: 50,
    indexBytesPerRow: 661,
  },
  {
    quantization: 'b1',
    resultFile: 'bench/results/scale-1000000-b1.json',
    ef: 128,
    oversampling: 64,
    recall: 0.989,
    httpPeakQps: 1261,
    httpPeakConcurrency: 50,
    indexBytesPerRow: 213,
  },
];
