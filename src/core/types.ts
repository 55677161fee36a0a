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
export type Quantization = 'f32' | 'f16' | 'i8';
export const QUANTIZATIONS: readonly Quantization[] = ['f32', 'f16', 'i8'];

export interface IndexParams {
  /** HNSW graph degree. */
  M: number;
  efConstruction: number;
  /** `ef` used when a search gives none. */
  efSearch: number;
  /** Vector storage of the index (embedded backend; Milvus stores float32). */
  quantization: Quantization;
}

export interface CollectionSpec {
  name: string;
  dimension: number;
  metric: Metric;
  fields: FieldSchema[];
  index?: Partial<IndexParams>;
}

/** What request validation needs: cheap, and cached by remote backends. */
export interface CollectionSchema {
  name: string;
  dimension: number;
  metric: Metric;
  fields: FieldSchema[];
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
