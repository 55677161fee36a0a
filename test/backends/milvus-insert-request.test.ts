/**
 * The hand-encoded Insert/Upsert request decodes, with the Milvus SDK's own
 * protobuf definitions, to the rows it was built from: ids, every scalar
 * type a bulk load writes, and the vectors bit for bit.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { encodeInsertRequest, MILVUS_TYPE } from '../../src/backends/milvus/insert-request.ts';

const sdk = createRequire(createRequire(import.meta.url).resolve('@zilliz/milvus2-sdk-node'));
const protobuf = sdk('protobufjs') as typeof import('protobufjs');
const protoJson = sdk('./proto-json/milvus.js');
const root = protobuf.Root.fromJSON(protoJson.default ?? protoJson);

function decode(type: 'InsertRequest' | 'UpsertRequest', bytes: Buffer) {
  const message = root.lookupType(`milvus.proto.milvus.${type}`);
  return message.toObject(message.decode(bytes), { longs: Number, enums: Number }) as {
    collection_name: string;
    num_rows: number;
    fields_data: {
      type: number;
      field_name: string;
      scalars?: Record<string, { data: unknown[] }>;
      vectors?: { dim: number; float_vector: { data: number[] } };
    }[];
  };
}

describe('encodeInsertRequest', () => {
  const rows = 3;
  const dimension = 4;
  const vectors = Float32Array.from({ length: rows * dimension }, (_, i) => i / 7 - 0.5);
  const batch = {
    rows,
    vector: { name: 'embedding', dimension, values: vectors },
    scalars: {
      id: { type: 'VarChar' as const, values: ['item-0', 'ünïcode-1', ''] },
      price: { type: 'Double' as const, values: [1.5, -2.25, 1e300] },
      stock: { type: 'Int64' as const, values: [0, -1, 2 ** 40] },
      fresh: { type: 'Bool' as const, values: [true, false, true] },
    },
  };

  for (const type of ['InsertRequest', 'UpsertRequest'] as const) {
    it(`decodes as a ${type} with every column intact`, () => {
      const req = decode(type, encodeInsertRequest('products', batch));
      expect(req.collection_name).toBe('products');
      expect(req.num_rows).toBe(rows);
      const byName = Object.fromEntries(req.fields_data.map((f) => [f.field_name, f]));
      expect(byName.id!.type).toBe(MILVUS_TYPE.VarChar);
      expect(byName.id!.scalars!.string_data!.data).toEqual(['item-0', 'ünïcode-1', '']);
      expect(byName.price!.type).toBe(MILVUS_TYPE.Double);
      expect(byName.price!.scalars!.double_data!.data).toEqual([1.5, -2.25, 1e300]);
      expect(byName.stock!.type).toBe(MILVUS_TYPE.Int64);
      expect(byName.stock!.scalars!.long_data!.data).toEqual([0, -1, 2 ** 40]);
      expect(byName.fresh!.scalars!.bool_data!.data).toEqual([true, false, true]);
      const v = byName.embedding!;
      expect(v.type).toBe(MILVUS_TYPE.FloatVector);
      expect(v.vectors!.dim).toBe(dimension);
      expect(Float32Array.from(v.vectors!.float_vector.data)).toEqual(vectors);
    });
  }

  it('encodes a vector that is a view into a larger buffer from the view only', () => {
    const big = new Float32Array(100).fill(9);
    const view = big.subarray(10, 10 + rows * dimension);
    view.set(vectors);
    const req = decode(
      'InsertRequest',
      encodeInsertRequest('p', { ...batch, vector: { ...batch.vector, values: view } }),
    );
    const v = req.fields_data.find((f) => f.field_name === 'embedding')!;
    expect(Float32Array.from(v.vectors!.float_vector.data)).toEqual(vectors);
  });

  it('refuses columns of the wrong length, naming the column', () => {
    expect(() =>
      encodeInsertRequest('p', {
        ...batch,
        scalars: { ...batch.scalars, price: { type: 'Double', values: [1] } },
      }),
    ).toThrow(/column price holds 1 values, expected 3/);
    expect(() =>
      encodeInsertRequest('p', { ...batch, vector: { ...batch.vector, dimension: 5 } }),
    ).toThrow(/vector column holds 12 floats, expected 3 x 5/);
  });
});
