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

/**
 * One positional read of a row's raw vector (2 KB at 512-d) that the page cache
 * did not hold, on this project's VM disk: 56 us against 2.5 us cached
 * (40,000 random reads of a 1M x 512 vectors file, 2026-12-07,
 * docs/benchmarks.md#rescoring-reads-and-the-page-cache-2026-12-07).
 */
export const UNCACHED_READ_US = 56;

/** Memory the OS and everything but the service keep for themselves. */
const OS_RESERVE_BYTES = 2 ** 30;

export interface RescoringReads {
  /** Share of the raw data files the page cache can hold beside what stays resident (0-1). */
  cachedShare: number;
  /** A search's candidates read from disk, with every row as likely to be a candidate as any other. */
  diskReads: number;
  /** Those reads one after the other (a search thread reads them in turn), ms. */
  ioMs: number;
}

/**
 * What rescoring `candidates` rows a search costs in disk reads when the raw
 * vectors do not all fit in the page cache: the cache holds what memory is
 * left after the resident index and workers, and candidates are assumed spread
 * over all rows (skewed traffic finds more of them cached; this is the bound).
 */
export function rescoringReads(
  m: MemoryEstimate,
  hostBytes: number,
  candidates: number,
  readUs = UNCACHED_READ_US,
): RescoringReads {
  const cacheBytes = Math.max(0, hostBytes - OS_RESERVE_BYTES - m.residentBytes);
  const cachedShare = Math.min(1, cacheBytes / m.dataBytes);
  const diskReads = candidates * (1 - cachedShare);
  return { cachedShare, diskReads, ioMs: (diskReads * readUs) / 1000 };
}
