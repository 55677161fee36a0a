import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  openFilesLimit,
  resolveConcurrencyLimit,
  resolveSearchThreads,
  resolveWorkerConnections,
} from '../../src/config/load-config.ts';
import { cgroupCpuQuota, usableCores } from '../../src/config/usable-cores.ts';
import { tempDir, testConfig } from '../helpers.ts';

/** A fake /proc/self/cgroup and cgroup tree under a temporary directory. */
function fakeCgroups(membership: string, files: Record<string, string>) {
  const t = tempDir();
  const procCgroup = join(t.dir, 'cgroup');
  writeFileSync(procCgroup, membership);
  const cgroupRoot = join(t.dir, 'fs');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(cgroupRoot, path, '..'), { recursive: true });
    writeFileSync(join(cgroupRoot, path), text);
  }
  return { sources: { procCgroup, cgroupRoot }, cleanup: t.cleanup };
}

describe('usableCores', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });
  const fake = (membership: string, files: Record<string, string>) => {
    const f = fakeCgroups(membership, files);
    cleanups.push(f.cleanup);
    return f.sources;
  };

  it('counts the CPUs of the affinity when no cgroup limits them', () => {
    const sources = fake('0::/app\n', { 'app/cpu.max': 'max 100000\n' });
    expect(cgroupCpuQuota(sources)).toBeNull();
    expect(usableCores({ ...sources, affinity: 8 })).toBe(8);
  });

  it("caps them by a cgroup v2 quota, rounded up, the smallest of the cgroup's ancestors", () => {
    const sources = fake('0::/kubepods/pod1/app\n', {
      'kubepods/cpu.max': '400000 100000\n',
      'kubepods/pod1/cpu.max': '150000 100000\n',
      'kubepods/pod1/app/cpu.max': 'max 100000\n',
    });
    expect(cgroupCpuQuota(sources)).toBe(1.5);
    expect(usableCores({ ...sources, affinity: 16 })).toBe(2);
  });

  it('reads a cgroup v1 quota (cpu.cfs_quota_us over cpu.cfs_period_us)', () => {
    const sources = fake('4:cpu,cpuacct:/docker/abc\n1:memory:/docker/abc\n', {
      'cpu,cpuacct/docker/abc/cpu.cfs_quota_us': '50000\n',
      'cpu,cpuacct/docker/abc/cpu.cfs_period_us': '100000\n',
    });
    expect(cgroupCpuQuota(sources)).toBe(0.5);
    expect(usableCores({ ...sources, affinity: 4 })).toBe(1);
  });

  it('lets the affinity win when it is the smaller, and never answers less than 1', () => {
    const sources = fake('1:cpu:/\n', {
      'cpu/cpu.cfs_quota_us': '800000\n',
      'cpu/cpu.cfs_period_us': '100000\n',
    });
    expect(usableCores({ ...sources, affinity: 2 })).toBe(2);
    expect(usableCores({ procCgroup: '/nonexistent', affinity: 0 })).toBe(1);
  });
});

describe('SEARCH_THREADS and CONCURRENCY_LIMIT defaults', () => {
  const auto = testConfig({ searchThreads: -1, concurrencyLimit: -1 });

  it('give a lone process a thread per core, and none on one core (the hop would only add work)', () => {
    expect(resolveSearchThreads(auto, { processes: 1, cores: 2 })).toBe(2);
    expect(resolveSearchThreads(auto, { processes: 1, cores: 16 })).toBe(16);
    expect(resolveSearchThreads(auto, { processes: 1, cores: 1 })).toBe(0);
  });

  it('give PM2 workers that fill the cores no threads, and share the rest', () => {
    expect(resolveSearchThreads(auto, { processes: 2, cores: 2 })).toBe(0);
    expect(resolveSearchThreads(auto, { processes: 4, cores: 16 })).toBe(3);
    expect(resolveSearchThreads(auto, { processes: 4, cores: 2 })).toBe(0);
  });

  it('keep an explicit setting, and size the concurrency limit to the threads', () => {
    const two = testConfig({ searchThreads: 2, concurrencyLimit: -1 });
    expect(resolveSearchThreads(two, { processes: 8, cores: 2 })).toBe(2);
    expect(resolveConcurrencyLimit(two, { processes: 8, cores: 2 })).toBe(16);
    expect(resolveConcurrencyLimit(auto, { processes: 2, cores: 2 })).toBe(4);
  });

  it('refuse an explicit count past 4x the cores (each thread holds its own view of the data), naming the bound', () => {
    const many = testConfig({ searchThreads: 999 });
    expect(() => resolveSearchThreads(many, { processes: 1, cores: 2 })).toThrow(
      /SEARCH_THREADS=999 is more than 4x the 2 core\(s\) this process may use \(at most 8\)/,
    );
    expect(resolveSearchThreads(testConfig({ searchThreads: 8 }), { processes: 1, cores: 2 })).toBe(
      8,
    );
    // One core still allows a few, for measuring threads against none.
    expect(resolveSearchThreads(testConfig({ searchThreads: 4 }), { processes: 1, cores: 1 })).toBe(
      4,
    );
  });
});

describe('WORKER_CONNECTIONS as the process can hold it', () => {
  it('stays under the open-files limit, leaving 256 descriptors for files and outgoing sockets', () => {
    const config = testConfig({ workerConnections: 20_000 });
    expect(resolveWorkerConnections(config, 1_048_576)).toBe(20_000);
    expect(resolveWorkerConnections(config, 4096)).toBe(3840);
    expect(resolveWorkerConnections(config, Number.POSITIVE_INFINITY)).toBe(20_000);
    expect(resolveWorkerConnections(config, null)).toBe(20_000); // no /proc: as set
  });

  it('reads the limit from /proc/self/limits, "unlimited" included', () => {
    const { dir, cleanup } = tempDir('vecserve-limits-');
    try {
      const file = join(dir, 'limits');
      writeFileSync(
        file,
        'Limit                     Soft Limit           Hard Limit           Units\nMax open files            20000                20000                files\n',
      );
      expect(openFilesLimit(file)).toBe(20_000);
      writeFileSync(
        file,
        'Max open files            unlimited            unlimited            files\n',
      );
      expect(openFilesLimit(file)).toBe(Number.POSITIVE_INFINITY);
      expect(openFilesLimit(join(dir, 'missing'))).toBeNull();
    } finally {
      cleanup();
    }
  });
});
