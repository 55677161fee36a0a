/** Shapes shared by the HTTP layer and every SearchBackend. */

export type Metric = 'L2' | 'IP' | 'COSINE';
export const METRICS: readonly Metric[] = ['L2', 'IP', 'COSINE'];

/** Scalar field types, named after Milvus's (VarChar, Int64, Double, Bool). */
export type FieldType = 'string' | 'int' | 'float' | 'bool';
export const FIELD_TYPES: readonly FieldType[] = ['string', 'int', 'float', 'bool'];

export type ScalarValue = string | number | boolean;
export type Fields = Record<string, ScalarValue>;

export interface FieldSchema {
  name: string;
  type: FieldType;
  /** Longest string accepted (string fields only). */
  maxLength?: number;
}

/** How the index stores vectors: float32, float16 (half the memory) or int8 (a quarter; values clipped to [-1, 1]). */
export type Quantization = 'f32' | 'f16' | 'i8' | 'b1';
export const QUANTIZATIONS: readonly Quantization[] = ['f32', 'f16', 'i8', 'b1'];

/**
 * Vector index types. The embedded backend builds HNSW; Milvus builds any of
 * them (the ones teams use at 50M x 512 are IVF_SQ8, IVF_PQ, DISKANN and HNSW).
 */
export type IndexType = 'HNSW' | 'FLAT' | 'IVF_FLAT' | 'IVF_SQ8' | 'IVF_PQ' | 'DISKANN';
export const INDEX_TYPES: readonly IndexType[] = [
  'HNSW',
  'FLAT',
  'IVF_FLAT',
  'IVF_SQ8',
  'IVF_PQ',
  'DISKANN',
];

/** The search parameter each index type takes (FLAT takes none). */
export function searchParamOf(type: IndexType | undefined): 'ef' | 'nprobe' | 'searchList' | null {
  if (type === undefined || type === 'HNSW') return 'ef';
  if (type === 'FLAT') return null;
  if (type === 'DISKANN') return 'searchList';
  return 'nprobe';
}

export interface IndexParams {
  /** HNSW graph degree. */
  M: number;
  efConstruction: number;
  /** `ef` used when a search gives none. */
  efSearch: number;
  /** Vector storage of the index (embedded backend; Milvus stores float32). */
  quantization: Quantization;
  /**
   * Embedded HNSW: candidates searched per hit wanted, all scored exactly from
   * the raw vectors before the best topK are kept (1: the graph's topK only).
   */
  oversampling?: number;
  /** IVF_*: clusters built. */
  nlist?: number;
  /** IVF_*: clusters searched when a search gives no `nprobe`. */
  nprobe?: number;
  /** IVF_PQ: sub-quantizers (must divide the dimension) and bits per code. */
  m?: number;
  nbits?: number;
  /** DISKANN: candidate list when a search gives no `searchList`. */
  searchList?: number;
}

export interface CollectionSpec {
  name: string;
  dimension: number;
  metric: Metric;
  fields: FieldSchema[];
  /** The index type (HNSW when not given) and its parameters. */
  index?: Partial<IndexParams> & { type?: IndexType };
}

/** What request validation needs: cheap, and cached by remote backends. */
export interface CollectionSchema {
  name: string;
  dimension: number;
  metric: Metric;
  fields: FieldSchema[];
  /** The vector index's type, when the backend knows it (search parameters are checked against it). */
  indexType?: IndexType;
}

export interface CollectionInfo extends CollectionSchema {
  count: number;
  index: { type: string } & Partial<IndexParams>;
  /** False when this process serves the collection read-only (e.g. a shared index file). */
  writable: boolean;
}

export interface Hit {
  id: string;
  distance: number;
  fields?: Fields;
}

export interface Row {
  id?: string;
  vector: number[];
  fields: Fields;
}
