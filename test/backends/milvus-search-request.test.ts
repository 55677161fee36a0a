/**
 * The hand-encoded SearchRequest decodes, with the Milvus SDK's own protobuf
 * definitions, to the search asked for (vectors bit for bit in the
 * placeholder group, parameters as Milvus's key-value pairs), and a decoded
 * SearchResults of several queries is split into one hit list per query.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  CONSISTENCY_LEVEL,
  encodeSearchRequest,
  readSearchResults,
} from '../../src/backends/milvus/search-request.ts';

const sdk = createRequire(createRequire(import.meta.url).resolve('@zilliz/milvus2-sdk-node'));
const protobuf = sdk('protobufjs') as typeof import('protobufjs');
const protoJson = sdk('./proto-json/milvus.js');
const root = protobuf.Root.fromJSON(protoJson.default ?? protoJson);
const options = { longs: Number, enums: String, defaults: true };

describe('encodeSearchRequest', () => {
  const a = Float32Array.from([0.5, -1, 2.25, 0]);
  const big = new Float32Array(12).fill(7);
  const b = big.subarray(4, 8); // a view: only its own 4 floats may be sent
  b.set([1, 2, 3, 4]);

  it('decodes to the search asked for', () => {
    const bytes = encodeSearchRequest({
      collection: 'products',
      annsField: 'embedding',
      metric: 'L2',
      topK: 7,
      params: { ef: 64 },
      filter: "category == 'A'",
      outputFields: ['category', 'price'],
      consistencyLevel: CONSISTENCY_LEVEL.Bounded!,
      vectors: [a, b],
    });
    const type = root.lookupType('milvus.proto.milvus.SearchRequest');
    const req = type.toObject(type.decode(bytes), options) as Record<string, unknown> & {
      placeholder_group: Uint8Array;
      search_params: { key: string; value: string }[];
    };
    expect(req.collection_name).toBe('products');
    expect(req.dsl).toBe("category == 'A'");
    expect(req.dsl_type).toBe('BoolExprV1');
    expect(req.output_fields).toEqual(['category', 'price']);
    expect(req.nq).toBe(2);
    expect(req.consistency_level).toBe('Bounded');
    expect(Object.fromEntries(req.search_params.map((p) => [p.key, p.value]))).toEqual({
      anns_field: 'embedding',
      topk: '7',
      metric_type: 'L2',
      params: '{"ef":64}',
      offset: '0',
      round_decimal: '-1',
      ignore_growing: 'false',
    });
    const groupType = root.lookupType('milvus.proto.common.PlaceholderGroup');
    const group = groupType.toObject(groupType.decode(req.placeholder_group), options) as {
      placeholders: { tag: string; type: string; values: Uint8Array[] }[];
    };
    expect(group.placeholders).toHaveLength(1);
    const [p] = group.placeholders;
    expect(p!.tag).toBe('$0');
    expect(p!.type).toBe('FloatVector');
    const floats = p!.values.map((v) => new Float32Array(Uint8Array.from(v).buffer));
    expect(floats).toEqual([a, Float32Array.from([1, 2, 3, 4])]);
  });

  it('sends no expression and no output fields when none are asked for', () => {
    const bytes = encodeSearchRequest({
      collection: 'c',
      annsField: 'v',
      metric: 'IP',
      topK: 1,
      params: { nprobe: 10 },
      filter: '',
      outputFields: [],
      consistencyLevel: CONSISTENCY_LEVEL.Strong!,
      vectors: [a],
    });
    const type = root.lookupType('milvus.proto.milvus.SearchRequest');
    const req = type.toObject(type.decode(bytes), options) as Record<string, unknown>;
    expect(req.dsl).toBe('');
    expect(req.output_fields).toEqual([]);
    expect(req.consistency_level).toBe('Strong');
  });
});

describe('readSearchResults', () => {
  it('splits the columns by each query topk, with output fields (int64 as numbers)', () => {
    const hits = readSearchResults(
      {
        results: {
          num_queries: '2',
          topks: ['2', '1'],
          scores: [0.1, 0.2, 0.3],
          ids: { str_id: { data: ['a', 'b', 'c'] }, int_id: null },
          fields_data: [
            {
              field_name: 'category',
              scalars: { string_data: { data: ['A', 'B', 'C'] }, data: 'string_data' },
            },
            {
              field_name: 'stock',
              scalars: { long_data: { data: ['5', '6', '7'] }, data: 'long_data' },
            },
          ],
        },
      },
      2,
      ['category', 'stock'],
    );
    expect(hits).toEqual([
      [
        { id: 'a', distance: 0.1, fields: { category: 'A', stock: 5 } },
        { id: 'b', distance: 0.2, fields: { category: 'B', stock: 6 } },
      ],
      [{ id: 'c', distance: 0.3, fields: { category: 'C', stock: 7 } }],
    ]);
  });

  it('reads integer ids as strings and an empty answer as empty lists', () => {
    expect(
      readSearchResults(
        { results: { topks: ['1'], scores: [1.5], ids: { int_id: { data: ['42'] } } } },
        1,
        [],
      ),
    ).toEqual([[{ id: '42', distance: 1.5 }]]);
    expect(readSearchResults({ results: null }, 2, [])).toEqual([[], []]);
  });
});
