import { Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../../src/core/errors.ts';
import { appOptions } from '../../src/server/compose.ts';
import { warmHttpPath, warmUp } from '../../src/server/warm-up.ts';
import { FakeBackend } from '../fakes/fake-backend.ts';
import { silentLogger, testConfig } from '../helpers.ts';

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

describe('warmHttpPath', () => {
  it('sends real HTTP searches through a copy of the app, and closes its port', async () => {
    const backend = new FakeBackend();
    const options = appOptions(testConfig());
    const servers = await countListeners();
    await warmHttpPath(backend, options, silentLogger, { maxRequests: 12, concurrency: 3 });
    expect(backend.searchCalls).toBe(12);
    expect(await countListeners()).toBe(servers);
  });

  it('does not keep the server from starting when there is nothing to search', async () => {
    const backend = new FakeBackend();
    backend.searchError = new UnavailableError('failed to search: collection not loaded');
    await expect(
      warmHttpPath(backend, appOptions(testConfig()), silentLogger, { maxRequests: 4 }),
    ).resolves.toBeUndefined();
    expect(backend.searchCalls).toBe(4);
  });
});

/** TCP servers this process holds open (the warm-up's own port must be gone after it). */
async function countListeners(): Promise<number> {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.filter((h) => h instanceof Server && h.listening).length;
}
