import type { IndexType } from '../core/types.ts';
import type { MilvusClusterPlanInput } from './milvus-cluster-plan.ts';

/**
 * What each Milvus index type measured at 1M x 512 on this project's 2-core
 * machine (`npm run bench -- scale --backend milvus --index TYPE`), the input
 * of `npm run capacity -- --backend milvus` and of the cluster plan. A test
 * checks every figure against its result file, so none is typed by hand twice.
 */
export interface MilvusIndexMeasurement {
  indexType: IndexType;
  /** Build parameters, and the search parameter at which recall and QPS were taken. */
  indexParams: Record<string, number>;
  resultFile: string;
  rows: number;
  /** Milvus's whole resident memory with the collection loaded, over its rows (a ceiling: Milvus's own baseline is in it). */
  residentBytesPerRow: number;
  /** recall@10 against exact ground truth at the search parameter in indexParams. */
  recall: number;
  /** The most searches per second through vecserve's API in the closed-loop sweep, and at which concurrency. */
  apiPeakQps: number;
  apiPeakConcurrency: number;
  /** Cores Milvus and vecserve shared in that run. */
  cores: number;
  /**
   * How much more work one search costs at 50M than at 1M, and why (a model:
   * nothing was measured at 50M here).
   */
  workAt50M: { factor: number; why: string };
}

const HNSW_LOG_GROWTH = Math.log(50e6) / Math.log(1e6);

export const MILVUS_MEASURED_1M: readonly MilvusIndexMeasurement[] = [
  {
    indexType: 'HNSW',
    indexParams: { M: 16, efConstruction: 200, ef: 64 },
    resultFile: 'bench/results/scale-milvus-hnsw-1000000.json',
    rows: 1_000_000,
    residentBytesPerRow: 2924,
    recall: 0.9751,
    apiPeakQps: 479,
    apiPeakConcurrency: 50,
    cores: 2,
    workAt50M: {
      factor: Math.round(HNSW_LOG_GROWTH * 100) / 100,
      why: 'HNSW hops grow with log N: ln 50M / ln 1M',
    },
  },
  {
    indexType: 'IVF_SQ8',
    indexParams: { nlist: 1024, nprobe: 32 },
    resultFile: 'bench/results/scale-milvus-ivf_sq8-1000000.json',
    rows: 1_000_000,
    residentBytesPerRow: 1349,
    recall: 0.9033,
    apiPeakQps: 113,
    apiPeakConcurrency: 100,
    cores: 2,
    workAt50M: {
      factor: 3.05,
      why: 'an IVF search scans nprobe x N/nlist codes: nlist 16384 at 50M (Milvus guidance 4 x sqrt N is 28k) against 1024 at 1M scans 3.05x the codes at the same nprobe; recall at that nprobe is not measured at 50M',
    },
  },
  {
    indexType: 'IVF_PQ',
    indexParams: { nlist: 1024, m: 64, nbits: 8, nprobe: 128 },
    resultFile: 'bench/results/scale-milvus-ivf_pq-1000000.json',
    rows: 1_000_000,
    // A ceiling: the run's Milvus still held a dropped collection's memory (idle 1,072 MB
    // against 322 MB for a fresh one); 94 B per row were the collection's own.
    residentBytesPerRow: 1166,
    recall: 0.4031,
    apiPeakQps: 97,
    apiPeakConcurrency: 100,
    cores: 2,
    workAt50M: {
      factor: 3.05,
      why: 'an IVF search scans nprobe x N/nlist codes: nlist 16384 at 50M against 1024 at 1M scans 3.05x the codes at the same nprobe; recall at that nprobe is not measured at 50M',
    },
  },
];

/** The 50M x 512 scenario (5,000 QPS peak, 16 cores / 32 GB per machine, 2 replicas) on one measured index type. */
export function scenario50M(m: MilvusIndexMeasurement): MilvusClusterPlanInput {
  // Searches per core: the API's peak over the run's shared cores (a floor: vecserve took
  // some of them), divided by the growth of one search's work at 50M.
  const searchesPerCore = Math.floor(m.apiPeakQps / m.cores / m.workAt50M.factor);
  const param = Object.entries(m.indexParams).at(-1)!;
  return {
    rows: 50_000_000,
    dimension: 512,
    indexType: m.indexType,
    indexParams: m.indexParams,
    residentBytesPerRow: m.residentBytesPerRow,
    measuredIn: `${m.resultFile}, Milvus 2.3.5, 1M x 512, recall@10 ${m.recall} at ${param[0]} ${param[1]}`,
    searchesPerCore,
    replicas: 2,
    peakQps: 5000,
    node: { cores: 16, memoryGiB: 32 },
  };
}

export function measurementOf(type: IndexType): MilvusIndexMeasurement | undefined {
  return MILVUS_MEASURED_1M.find((m) => m.indexType === type);
}

/** The 50M x 512 scenario on HNSW: what `npm run milvus:helm-values` renders. */
export const SCENARIO_50M: MilvusClusterPlanInput = scenario50M(measurementOf('HNSW')!);
