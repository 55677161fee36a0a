import type { Quantization } from '../core/types.ts';

/**
 * Memory of the embedded backend for a collection, from its shape. The graph's
 * cost per row was measured on usearch 2.25 (index file size minus its vectors,
 * at 1M x 512, M = 16: see bench/results/scale-1000000.json) and scales with M.
 */
export interface MemoryEstimateInput {
  rows: number;
  dimension: number;
  quantization: Quantization;
  /** HNSW degree. @default 16 */
  M?: number;
  workers: number;
  /** Bytes of ids and scalar fields per row (data files). @default 32 */
  rowBytes?: number;
  /** Node's own heap and code per worker. @default 80 MiB */
  workerBaseBytes?: number;
}

export interface MemoryEstimate {
  /** The index file: quantized vectors + graph, memory-mapped once per host. */
  indexBytes: number;
  /** Raw float32 vectors, ids and fields on disk; read through the page cache on demand. */
  dataBytes: number;
  /** Each worker's private memory (heap, deleted-row bits). */
  perWorkerBytes: number;
  /** What must stay resident for unfiltered searches to stay fast: index + workers. */
  residentBytes: number;
}

const BYTES: Record<Quantization, number> = { f32: 4, f16: 2, i8: 1, b1: 1 / 8 };
/** Graph bytes per row per unit of M (level-0 links are 2M u32 slots, plus key, level and upper levels). */
const GRAPH_BYTES_PER_M = 9.25; // 148 bytes per row at M 16: the same in all three 1M index files

export function estimateMemory(i: MemoryEstimateInput): MemoryEstimate {
  const M = i.M ?? 16;
  const indexBytes = i.rows * (i.dimension * BYTES[i.quantization] + GRAPH_BYTES_PER_M * M);
  const dataBytes = i.rows * (i.dimension * 4 + (i.rowBytes ?? 32));
  const perWorkerBytes = (i.workerBaseBytes ?? 80 * 2 ** 20) + i.rows / 8;
  return {
    indexBytes,
    dataBytes,
    perWorkerBytes,
    residentBytes: indexBytes + i.workers * perWorkerBytes,
  };
}
