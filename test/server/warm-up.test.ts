import { Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../../src/core/errors.ts';
import { appOptions } from '../../src/server/compose.ts';
import { WarmUpPacer, warmHttpPath, warmUp } from '../../src/server/warm-up.ts';
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

describe('WarmUpPacer', () => {
  /** Works `ms` of wall time in 2 ms steps, pacing between them. */
  async function work(pacer: WarmUpPacer, ms: number) {
    while (pacer.workedMs < ms) {
      const until = performance.now() + 2;
      while (performance.now() < until) {
        // a unit of work
      }
      await pacer.pace();
    }
  }

  it('rests until the CPU used (every thread) averages the cores it was given', async () => {
    // A process that burns 1.5 cores while the warm-up works (its JIT and GC threads beside it).
    const t0 = performance.now();
    let pacer: WarmUpPacer | undefined;
    const cpu = () => 1.5 * (performance.now() - t0 - (pacer?.restedMs ?? 0));
    pacer = new WarmUpPacer(0.5, cpu);
    await work(pacer, 60);
    // 1.5 cores held to 0.5: two rested for every one worked (give or take a slice).
    expect(pacer.restedMs / pacer.workedMs).toBeGreaterThan(1.6);
    expect(pacer.restedMs / pacer.workedMs).toBeLessThan(3.5); // late timers on a busy machine
  });

  it('never rests without a limit or under it, and refuses a share that is not positive', async () => {
    const free = new WarmUpPacer(Number.POSITIVE_INFINITY);
    await work(free, 20);
    expect(free.restedMs).toBe(0);
    const t0 = performance.now();
    const light = new WarmUpPacer(1, () => 0.5 * (performance.now() - t0));
    await work(light, 20);
    expect(light.restedMs).toBe(0);
    expect(() => new WarmUpPacer(0)).toThrow(RangeError);
    expect(() => new WarmUpPacer(Number.NaN)).toThrow(RangeError);
  });

  it('a paced warm-up does the same work: its budget counts the time worked, not rested', async () => {
    /** Searches that take 1 ms each, all of it CPU (the clock below). */
    class BusyBackend extends FakeBackend {
      override async search(...args: Parameters<FakeBackend['search']>) {
        const until = performance.now() + 1;
        while (performance.now() < until) {
          // searching
        }
        return super.search(...args);
      }
    }
    const paced = new BusyBackend();
    // One core busy all along: the pacer reads it afresh after each rest, so a rest is not
    // counted as work. (The real clock counts less on a busy machine, where this process is
    // descheduled mid-search: it would rightly rest less, and this test would measure the machine.)
    const start = performance.now();
    await warmUp(paced, silentLogger, {
      maxSearches: 20,
      budgetMs: 80,
      cores: 0.1,
      cpuClock: () => performance.now(),
    });
    const elapsed = performance.now() - start;
    // About 20 ms worked and 180 rested: all 20 searches, though the wall time passed the
    // budget (a budget on wall time stops after about 8). No unpaced run
    // to compare with: run beside other test files as they load, one got 10 in 40 ms, the paced one 21.
    expect(elapsed).toBeGreaterThan(80);
    expect(paced.searchCalls).toBe(20);
  });
});

/** TCP servers this process holds open (the warm-up's own port must be gone after it). */
async function countListeners(): Promise<number> {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.filter((h) => h instanceof Server && h.listening).length;
}
