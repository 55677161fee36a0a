import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../../src/core/errors.ts';
import { warmUp } from '../../src/server/warm-up.ts';
import { FakeBackend } from '../fakes/fake-backend.ts';
import { silentLogger } from '../helpers.ts';

describe('warmUp', () => {
  it('searches each collection within its budget', async () => {
    const backend = new FakeBackend();
    await warmUp(backend, silentLogger, { maxSearches: 5 });
    expect(backend.searchCalls).toBe(5);
  });

  it('does not keep the server from starting when a collection cannot be searched yet (a Milvus collection not loaded)', async () => {
    const backend = new FakeBackend();
    backend.searchError = new UnavailableError('failed to search: collection not loaded');
    await expect(warmUp(backend, silentLogger, { maxSearches: 5 })).resolves.toBeUndefined();
    expect(backend.searchCalls).toBe(1);
  });
});
