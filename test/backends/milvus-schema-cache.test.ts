import type { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { describe, expect, it } from 'vitest';
import {
  MilvusBackend,
  type MilvusClientSource,
} from '../../src/backends/milvus/milvus-backend.ts';
import { NotFoundError } from '../../src/core/errors.ts';

/**
 * The Milvus backend's schema cache against a counting stand-in for the pool: what matters is
 * how many describe calls reach Milvus when many searches look a collection up at once.
 */
function fakeMilvus(dimension = 8) {
  const state = { describes: 0, inFlight: 0, maxInFlight: 0, dimension, missing: false };
  let release: () => void = () => {};
  let gate: Promise<void> | null = null;
  const answer = async <T>(value: () => T): Promise<T> => {
    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    try {
      if (gate) await gate;
      return value();
    } finally {
      state.inFlight--;
    }
  };
  const client = {
    describeCollection: () => {
      state.describes++;
      return answer(() =>
        state.missing
          ? { status: { error_code: 'UnexpectedError', reason: "can't find collection: c" } }
          : {
              status: { error_code: 'Success' },
              consistency_level: 'Bounded',
              schema: {
                description: '',
                fields: [
                  { name: 'id', data_type: 'VarChar', is_primary_key: true },
                  {
                    name: 'embedding',
                    data_type: 'FloatVector',
                    type_params: [{ key: 'dim', value: String(state.dimension) }],
                  },
                ],
              },
            },
      );
    },
    describeIndex: () =>
      answer(() => ({
        status: { error_code: 'Success' },
        index_descriptions: [
          {
            field_name: 'embedding',
            params: [
              { key: 'index_type', value: 'HNSW' },
              { key: 'metric_type', value: 'L2' },
              { key: 'params', value: '{"M":16,"efConstruction":200}' },
            ],
          },
        ],
      })),
  } as unknown as MilvusClient;
  const pool: MilvusClientSource = {
    address: 'fake:19530',
    use: (fn) => fn(client),
    drain: async () => {},
  };
  return {
    state,
    pool,
    /** Holds every describe until `open()`. */
    hold() {
      gate = new Promise((r) => {
        release = r;
      });
    },
    open() {
      gate = null;
      release();
    },
  };
}

describe('Milvus schema cache', () => {
  it('sends one describe for 50 concurrent first lookups', async () => {
    const milvus = fakeMilvus();
    const backend = new MilvusBackend({ pool: milvus.pool });
    milvus.hold();
    const lookups = Array.from({ length: 50 }, () => backend.schema('c'));
    milvus.open();
    const schemas = await Promise.all(lookups);
    expect(milvus.state.describes).toBe(1);
    expect(new Set(schemas.map((s) => s.dimension))).toEqual(new Set([8]));
  });

  it('past the TTL, serves the cached schema at once while one refresh runs', async () => {
    const milvus = fakeMilvus();
    let now = 0;
    const backend = new MilvusBackend({ pool: milvus.pool, schemaTtlMs: 10_000, clock: () => now });
    await backend.schema('c');
    expect(milvus.state.describes).toBe(1);

    now = 10_001;
    milvus.state.dimension = 16; // changed elsewhere: the refresh brings it
    milvus.hold();
    // Every lookup answers while the refresh is held: no search waits for it.
    const during = await Promise.all(Array.from({ length: 50 }, () => backend.schema('c')));
    expect(during.every((s) => s.dimension === 8)).toBe(true);
    expect(milvus.state.describes).toBe(2);
    expect(milvus.state.maxInFlight).toBeLessThanOrEqual(2); // describeCollection + describeIndex
    milvus.open();
    await new Promise((r) => setTimeout(r, 0));
    expect((await backend.schema('c')).dimension).toBe(16);
    expect(milvus.state.describes).toBe(2);
  });

  it('a collection dropped elsewhere is a 404 after the refresh that found it gone', async () => {
    const milvus = fakeMilvus();
    let now = 0;
    const backend = new MilvusBackend({ pool: milvus.pool, schemaTtlMs: 1_000, clock: () => now });
    await backend.schema('c');
    milvus.state.missing = true;
    now = 1_001;
    await backend.schema('c'); // stale, served; the refresh finds it gone
    await new Promise((r) => setTimeout(r, 0));
    await expect(backend.schema('c')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('a first lookup that aborts stops waiting; the shared fetch still fills the cache', async () => {
    const milvus = fakeMilvus();
    const backend = new MilvusBackend({ pool: milvus.pool });
    milvus.hold();
    const controller = new AbortController();
    const first = backend.schema('c', { signal: controller.signal });
    controller.abort(new Error('client went away'));
    await expect(first).rejects.toThrow('client went away');
    milvus.open();
    expect((await backend.schema('c')).dimension).toBe(8);
    expect(milvus.state.describes).toBe(1);
  });
});
