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
  /** The most answers per second through HTTP in the closed-loop sweep, at which concurrency and with how many search threads. */
  httpPeakQps: number;
  httpPeakConcurrency: number;
  httpSearchThreads: number;
  /**
   * The day of the run: this shared machine's speed varies between days (on
   * 2026-12-07 one i8 search took 3x as long as on 2026-12-06), so figures
   * from different days are not ratios of each other.
   */
  day: string;
  /** Index file bytes per row (vectors as stored + graph). */
  indexBytesPerRow: number;
}

export const EMBEDDED_MEASURED_1M: readonly EmbeddedMeasurement[] = [
  // One run searching all five modes side by side (builds carried from kept stores, same day).
  // The i8 and b1 runs before 2026-12-07 measured HTTP with search threads that dropped the
  // per-request oversampling: those figures were not at their recall.
  {
    quantization: 'f32',
    resultFile: 'bench/results/scale-1000000-five.json',
    ef: 128,
    recall: 0.9708,
    httpPeakQps: 693,
    httpPeakConcurrency: 10,
    httpSearchThreads: 2,
    day: '2026-12-07',
    indexBytesPerRow: 2197,
  },
  {
    quantization: 'f16',
    resultFile: 'bench/results/scale-1000000-five.json',
    ef: 128,
    oversampling: 1,
    recall: 0.9729,
    httpPeakQps: 738,
    httpPeakConcurrency: 10,
    httpSearchThreads: 2,
    day: '2026-12-07',
    indexBytesPerRow: 1177,
  },
  {
    quantization: 'i8',
    resultFile: 'bench/results/scale-1000000-five.json',
    ef: 128,
    oversampling: 1,
    recall: 0.9511,
    httpPeakQps: 786,
    httpPeakConcurrency: 10,
    httpSearchThreads: 2,
    day: '2026-12-07',
    indexBytesPerRow: 663,
  },
  {
    quantization: 'b1',
    resultFile: 'bench/results/scale-1000000-five.json',
    ef: 128,
    oversampling: 64,
    recall: 0.9912,
    httpPeakQps: 366,
    httpPeakConcurrency: 10,
    httpSearchThreads: 2,
    day: '2026-12-07',
    indexBytesPerRow: 213,
  },
];

/** The same searches with the graph mapped from the store and from a huge-page copy, alternating in one run. */
export interface HugePagesMeasurement {
  resultFile: string;
  concurrency: number;
  searchThreads: number;
  /** Answers/s of each level, in run order: from the store's file, then from the huge-page copy. */
  storeQps: readonly number[];
  hugePagesQps: readonly number[];
  day: string;
}

// The i8 store with usearch's cast at ef 128 / oversampling 4 (recall@10 0.978), wrk driving.
export const HUGE_PAGES_MEASURED_1M: HugePagesMeasurement = {
  resultFile: 'bench/results/scale-1000000-huge-pages-wrk.json',
  concurrency: 100,
  searchThreads: 2,
  storeQps: [561, 640, 714],
  hugePagesQps: [670, 896, 851],
  day: '2026-12-07',
};
