import { describe, expect, it } from 'vitest';
import { IndexReadiness } from '../../src/backends/milvus/milvus-readiness.ts';
import type { IndexProgress } from '../../src/backends/search-backend.ts';
import { NotFoundError } from '../../src/core/errors.ts';

function fakeMilvus(
  collections: Record<string, { progress: IndexProgress | null | 'gone'; state: string }>,
) {
  const asked: string[] = [];
  return {
    asked,
    readiness: new IndexReadiness({
      listCollections: async () => {
        asked.push('list');
        return Object.keys(collections);
      },
      indexProgress: async (name) => {
        asked.push(`progress ${name}`);
        const p = collections[name]!.progress;
        if (p === 'gone') throw new NotFoundError(`collection "${name}" does not exist`);
        return p;
      },
      loadState: async (name) => {
        asked.push(`load ${name}`);
        return collections[name]!.state;
      },
    }),
  };
}

describe('Milvus readiness (ready means indexed and loaded)', () => {
  it('is not ready while an index is behind its rows, and says how far it is', async () => {
    const m = fakeMilvus({
      docs: { progress: { indexed: 3000, total: 10000, pending: 0 }, state: 'LoadStateLoaded' },
    });
    expect(await m.readiness.check()).toEqual({
      ok: false,
      reason: 'collection "docs": index built for 3000 of 10000 rows',
    });
  });

  it('is not ready while a collection is indexed but not loaded', async () => {
    const m = fakeMilvus({
      docs: { progress: { indexed: 10, total: 10, pending: 0 }, state: 'LoadStateLoading' },
    });
    expect(await m.readiness.check()).toEqual({
      ok: false,
      reason: 'collection "docs" is not loaded (LoadStateLoading)',
    });
  });

  it('counts a collection without an index, or dropped since listed, as nothing to wait for; once ready it asks no more', async () => {
    const m = fakeMilvus({
      flat: { progress: null, state: 'LoadStateLoaded' },
      gone: { progress: 'gone', state: 'LoadStateNotExist' },
      docs: { progress: { indexed: 10, total: 10, pending: 0 }, state: 'LoadStateLoaded' },
    });
    expect(await m.readiness.check()).toEqual({ ok: true });
    const asked = m.asked.length;
    expect(await m.readiness.check()).toEqual({ ok: true });
    expect(m.asked.length).toBe(asked);
  });
});
